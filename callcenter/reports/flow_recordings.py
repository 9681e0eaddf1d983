"""Recorded prompts on the flow map page: supervisors listen to them, upload a new one or replace
one (config/flow_audio.py says how the flow file names them).

An upload is a WAV or MP3 file; sox reads it (refusing what it cannot) and writes telephone
audio, 8 kHz mono 16-bit WAV, into the flow's audio folder as `<lang>/<prompt>.wav` (or the
name the flow already gives that prompt's recording, so a replacement is live at once: its
<Play> URL carries the file's version). A new recording is used once the flow file names it;
the draft check on the same page refuses a flow whose recordings are missing. Each upload is
audited.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    request,
    send_from_directory,
    url_for,
)

from callcenter.access import allow_larger_body, role_required
from callcenter.accounts import audit
from config.flow import Flow
from config.flow_audio import placeholders
from db.states import Role

bp = Blueprint("flow_recordings", __name__)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SECONDS = 120  # a prompt, not a programme
TELEPHONE = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]  # sox output options
KINDS = {".wav": "wav", ".mp3": "mp3"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    allow_larger_body(app, "flow_recordings.upload", MAX_UPLOAD_BYTES + 64 * 1024)


def _flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def recordable(flow: Flow) -> list[tuple[str, str]]:
    """(prompt, English-or-first-language text) of every prompt a recording can say: fixed words."""
    out = []
    for name, texts in flow.prompts.items():
        if name == "key_names" or not isinstance(texts, dict):
            continue
        if all(isinstance(t, str) and not placeholders(t) for t in texts.values()):
            out.append((name, texts.get(flow.default_language, "")))
    return out


def recordings(flow: Flow) -> list[dict[str, str]]:
    """Every recording the flow plays, for the page: a whole prompt by its name, any other file
    (a step's text, a part of a prompt, a number) by its file; language, file and what it says."""
    prompt_of = {relative: name for name, per_lang in flow.audio.items() for relative in per_lang.values()}
    rows = []
    for relative, words in sorted(flow.recordings.transcripts.items()):
        lang, _, file = relative.partition("/")
        rows.append({"prompt": prompt_of.get(relative, file), "lang": lang, "file": relative,
                     "name": file, "text": words})
    return rows


@bp.get("/flow/recordings/<lang>/<path:name>")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def listen(lang: str, name: str) -> Response:
    """A file of the audio folder, live or just uploaded, for the page's player."""
    if lang not in _flow().language_codes:
        return Response("no such language", status=404, mimetype="text/plain")
    response = send_from_directory(_flow().audio_dir / lang, name, max_age=0, conditional=True)
    response.headers["Cache-Control"] = "no-cache"  # a replaced file is heard at once
    return response


@bp.post("/flow/recordings")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def upload() -> Response:
    flow = _flow()
    prompt, lang = request.form.get("prompt", ""), request.form.get("lang", "")
    replacing = request.form.get("file", "")  # a file the flow plays, named as the page lists it
    file = request.files.get("audio")
    if replacing:
        problem = _file_refusal(flow, lang, replacing, file)
        target = flow.audio_dir / lang / replacing
    else:
        problem = _refusal(flow, prompt, lang, file)
        target = _target(flow, prompt, lang)
    if problem is None:
        problem = _convert(file.read(MAX_UPLOAD_BYTES + 1), Path(file.filename).suffix.lower(), target)
    if problem is not None:
        flash(f"The recording was not saved: {problem}")
        return redirect(url_for("flowmap.live", lang=lang or None) + "#recordings")
    relative = f"{lang}/{replacing or target.name}"
    audit.record_now("recording_uploaded",
                     detail=f"audio.{relative}" if replacing else f"prompts.{prompt}.{lang}")
    if replacing:
        flash(f"Saved: callers in {lang} now hear the new recording {relative}.")
    elif flow.recording(prompt, lang) == relative:
        flash(f"Saved: callers in {lang} now hear the new recording of {prompt}.")
    else:
        flash(f"Saved as {relative} in the flow's audio folder. Callers hear it once the flow file says "
              f"prompts.{prompt}.{lang}: {{text: ..., audio: {target.name}}} (check the draft below, "
              "then restart).")
    return redirect(url_for("flowmap.live", lang=lang) + "#recordings")


def _refusal(flow: Flow, prompt: str, lang: str, file: object) -> str | None:
    if lang not in flow.language_codes:
        return "choose one of the flow's languages."
    if prompt not in dict(recordable(flow)):
        return ("choose a prompt of the flow with fixed words (one that says a number or a key's "
                "name cannot be recorded).")
    return _file_problem(file)


def _file_problem(file: object) -> str | None:
    if file is None or not getattr(file, "filename", ""):
        return "choose a WAV or MP3 file."
    if Path(file.filename).suffix.lower() not in KINDS:
        return "the file must be a WAV (.wav) or an MP3 (.mp3)."
    return None


def _file_refusal(flow: Flow, lang: str, name: str, file: object) -> str | None:
    """Only a file the flow already plays is replaced this way (never a path of the caller's)."""
    if f"{lang}/{name}" not in flow.recordings.transcripts:
        return "choose a recording of the list; the flow plays no such file."
    return _file_problem(file)


def _target(flow: Flow, prompt: str, lang: str) -> Path:
    named = flow.recording(prompt, lang)
    name = Path(named).name if named and named.endswith(".wav") else f"{prompt}.wav"
    return flow.audio_dir / lang / name


def _convert(blob: bytes, suffix: str, target: Path) -> str | None:
    """Telephone audio of the upload written to target (atomically), or why not."""
    if len(blob) > MAX_UPLOAD_BYTES:
        return "the file is over 5 MB; a prompt is a few seconds long."
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / f"upload{suffix}", Path(tmp) / "out.wav"
        source.write_bytes(blob)
        done = subprocess.run(["sox", "-t", KINDS[suffix], str(source), *TELEPHONE, str(out)],
                              capture_output=True, timeout=60, check=False)
        if done.returncode != 0:
            return f"it is not a {KINDS[suffix].upper()} file that can be read."
        seconds = subprocess.run(["soxi", "-D", str(out)], capture_output=True, text=True, timeout=30,
                                 check=False).stdout.strip()
        if not seconds or float(seconds) <= 0:
            return "the file holds no sound."
        if float(seconds) > MAX_SECONDS:
            return f"it lasts {float(seconds):.0f} s; a prompt lasts at most {MAX_SECONDS} s."
        partial = target.with_suffix(".part")
        partial.write_bytes(out.read_bytes())
        os.replace(partial, target)
    return None
