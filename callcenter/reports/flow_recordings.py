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

from callcenter.access import role_required
from callcenter.accounts import audit
from config.flow import Flow
from config.flow_audio import placeholders
from db.states import Role

bp = Blueprint("flow_recordings", __name__)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SECONDS = 120  # a prompt, not a programme
TELEPHONE = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]  # sox output options
KINDS = {".wav": "wav", ".mp3": "mp3"}
MAX_DRAFT_FORM_BYTES = 3 * 512 * 1024 + 64 * 1024  # flowmap.MAX_DRAFT_BYTES, form-encoded


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # First of the app's hooks: CSRF reads the form under the app's 64 KB limit before any view.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_upload)


def _allow_upload() -> None:
    if request.endpoint == "flow_recordings.upload":
        request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024
    elif request.endpoint == "flowmap.check_draft":
        # A pasted flow file is larger than a webhook (the demo flow, form-encoded, is over 64 KB
        # since its recorded Swahili): up to the draft check's own limit, each byte as %XX.
        request.max_content_length = MAX_DRAFT_FORM_BYTES


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
    """The flow's recorded prompts, for the page: prompt, language, file and transcript."""
    return [{"prompt": name, "lang": lang, "file": file, "text": flow.prompts[name][lang]}
            for name, per_lang in sorted(flow.audio.items()) for lang, file in sorted(per_lang.items())]


@bp.get("/flow/recordings/<lang>/<name>")
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
    file = request.files.get("audio")
    problem = _refusal(flow, prompt, lang, file)
    if problem is None:
        target = _target(flow, prompt, lang)
        problem = _convert(file.read(MAX_UPLOAD_BYTES + 1), Path(file.filename).suffix.lower(), target)
    if problem is not None:
        flash(f"The recording was not saved: {problem}")
        return redirect(url_for("flowmap.live", lang=lang or None) + "#recordings")
    audit.record_now("recording_uploaded", detail=f"prompts.{prompt}.{lang}")
    relative = f"{lang}/{target.name}"
    if flow.recording(prompt, lang) == relative:
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
    if file is None or not getattr(file, "filename", ""):
        return "choose a WAV or MP3 file."
    if Path(file.filename).suffix.lower() not in KINDS:
        return "the file must be a WAV (.wav) or an MP3 (.mp3)."
    return None


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
