"""Installing official Vosk models into MODELS_DIR/<lang>, all or nothing.

The archive streams into a staging folder next to the destination (same file system, so the
final rename is atomic), its SHA-256 is checked when known, the zip is tested (CRC of every
member) and unpacked, the result must look like a Vosk model, and only then is it renamed to
MODELS_DIR/<lang>. Any failure removes the staging folder: a half-installed model never sits
where the registry looks. Where the archive came from and its hash are recorded in
MODELS_DIR/<lang>/jobline-model.json.

The hashes of the official archives are not pinned here because they could not be fetched
when this was written; an install without a known hash prints the computed one so it can be
pinned with --sha256 on every other worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from config import settings

from .registry import find_source, looks_like_model

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)
MANIFEST = "jobline-model.json"


@dataclass(frozen=True)
class Official:
    url: str
    size_mb: int
    sha256: str | None = None


OFFICIAL: dict[str, Official] = {
    "en": Official("https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip", 40),
    "es": Official("https://alphacephei.com/vosk/models/vosk-model-small-es-0.42.zip", 39),
    "fr": Official("https://alphacephei.com/vosk/models/vosk-model-small-fr-0.22.zip", 41),
    "ko": Official("https://alphacephei.com/vosk/models/vosk-model-small-ko-0.22.zip", 82),
}
MAX_ARCHIVE_BYTES = 4 * 1024**3  # the largest official models are under 3 GB


class InstallError(Exception):
    """The model could not be installed; nothing was changed in MODELS_DIR."""


@dataclass(frozen=True)
class Installed:
    lang: str
    path: Path
    url: str
    sha256: str
    size: int
    verified: bool  # False when no hash was known to check against


def _download(url: str, target: Path, progress: Progress | None) -> tuple[str, int]:
    digest = hashlib.sha256()
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=30) as resp, target.open("wb") as out:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := resp.read(1024 * 1024):
                done += len(chunk)
                if done > MAX_ARCHIVE_BYTES:
                    raise InstallError(f"{url} is larger than {MAX_ARCHIVE_BYTES} bytes")
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(done, total)
    except OSError as exc:  # URLError and HTTPError are OSErrors
        raise InstallError(f"could not download {url}: {exc}") from None
    if total is not None and done != total:
        raise InstallError(f"download of {url} stopped at {done} of {total} bytes")
    return digest.hexdigest(), done


def _unpack(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise InstallError(f"the archive is damaged (bad CRC in {bad})")
            for name in zf.namelist():
                parts = PurePosixPath(name).parts
                if name.startswith(("/", "\\")) or ".." in parts:
                    raise InstallError(f"the archive has an unsafe path {name!r}")
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise InstallError(f"the archive is not a valid zip file ({exc})") from None
    if looks_like_model(into):
        return into
    children = [p for p in into.iterdir() if p.is_dir()]
    if len(children) == 1 and looks_like_model(children[0]):
        return children[0]
    raise InstallError("the archive does not contain a Vosk model (no am/, conf/ or graph/)")


def install_model(
    lang: str,
    url: str | None = None,
    sha256: str | None = None,
    dest: Path | None = None,
    progress: Progress | None = None,
) -> Installed:
    """Download, verify and install the model for `lang` as `dest`/<lang>; returns what was
    installed. A model already there is replaced only once the new one is complete.

    Raises InstallError (unknown language without a URL, download failure, hash mismatch,
    damaged or non-model archive), leaving `dest` as it was.
    """
    official = OFFICIAL.get(lang)
    url = url or (official.url if official else None)
    if not url:
        raise InstallError(f"no official model is known for {lang!r}; give its archive URL")
    if not lang.isalpha() or not lang.islower():
        raise InstallError(f"language code {lang!r} must be lower-case letters, like 'en'")
    expected = (sha256 or (official.sha256 if official and url == official.url else None))
    dest = Path(dest or settings.MODELS_DIR)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".install-{lang}-", dir=dest))
    try:
        archive = staging / "archive.zip"
        digest, size = _download(url, archive, progress)
        if expected and digest != expected.lower():
            raise InstallError(
                f"SHA-256 mismatch for {url}: expected {expected}, got {digest}; "
                "the download is corrupt or not the archive you meant. Nothing was installed."
            )
        root = _unpack(archive, staging / "unpacked")
        manifest = {"lang": lang, "url": url, "sha256": digest, "size": size,
                    "verified": bool(expected), "installed_at": datetime.now(UTC).isoformat()}
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2))
        final = dest / lang
        if final.exists():
            os.rename(final, staging / "previous")
        os.rename(root, final)
        return Installed(lang, final, url, digest, size, bool(expected))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True)
class ModelEntry:
    lang: str
    origin: str | None  # env, models_dir, package, or None when the language has no model
    path: Path | None
    sha256: str | None


def list_models(dest: Path | None = None) -> list[ModelEntry]:
    """Every language with an official model or an installed one, and where its model is."""
    dest = Path(dest or settings.MODELS_DIR)
    langs = set(OFFICIAL)
    if dest.is_dir():
        langs |= {p.name for p in dest.iterdir() if p.is_dir() and not p.name.startswith(".")}
    entries = []
    for lang in sorted(langs):
        source = find_source(lang, dest)
        sha = None
        if source and (source.path / MANIFEST).is_file():
            sha = json.loads((source.path / MANIFEST).read_text()).get("sha256")
        entries.append(ModelEntry(lang, source.origin if source else None,
                                  source.path if source else None, sha))
    return entries


def remove_model(lang: str, dest: Path | None = None) -> bool:
    """Remove MODELS_DIR/<lang> (models from pip packages or VOSK_MODEL_* are left alone).

    Returns False when there was nothing installed there. The folder is renamed away first so
    a worker starting meanwhile never loads half a model.
    """
    dest = Path(dest or settings.MODELS_DIR)
    folder = dest / lang
    if not lang.isalpha() or not folder.is_dir():
        return False
    trash = Path(tempfile.mkdtemp(prefix=f".remove-{lang}-", dir=dest))
    os.rename(folder, trash / lang)
    shutil.rmtree(trash, ignore_errors=True)
    return True
