"""What the desk plays and the browser phone needs, under /api/ like the rest of the desk API:
the audio of name and reason recordings, and the Voice SDK token."""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, send_file
from sqlalchemy import select

from callcenter.access import role_required
from callcenter.accounts import audit
from callcenter.desk.requests import no_store_json, signed_in_user
from callcenter.desk.state import DESK, my_queues
from callcenter.routing import claims
from config import settings
from config.settings import ConfigError
from db import session as db
from db.models import Callback, QueueEntry, Recording
from db.states import Role
from ivr.telephony.identity import client_identity

log = logging.getLogger(__name__)
bp = Blueprint("media", __name__, url_prefix="/api")


@bp.get("/recordings/<int:recording_id>/audio")
@role_required(*DESK)
def recording_audio(recording_id: int) -> Any:
    """Stream a name or reason recording to an adviser who may see its call."""
    s, user = db.current(), signed_in_user()
    rec = s.get(Recording, recording_id)
    if rec is None or rec.call_id is None or rec.kind not in ("name", "reason"):
        abort(404, "No such recording; refresh the desk.")
    if user.role != Role.SUPERVISOR:
        entry = s.scalar(select(QueueEntry).where(QueueEntry.call_id == rec.call_id)
                         .order_by(QueueEntry.id.desc()).limit(1))
        callback = s.scalar(select(Callback).where(Callback.call_id == rec.call_id).limit(1))
        queue = entry.queue if entry else (callback.queue if callback else None)
        if not ((entry and entry.agent_id == user.id) or queue in my_queues(user)):
            abort(403, "This recording belongs to a call in a queue you do not serve.")
    root = Path(current_app.config.get("RECORDINGS_DIR") or settings.RECORDINGS_DIR).resolve()
    path = Path(rec.audio_path or "").resolve()
    if not rec.audio_path or not path.is_relative_to(root) or not path.is_file():
        abort(404, "The audio of this recording is not stored (yet); read the transcript instead.")
    audit.record_now("play_recording", "recording", rec.id)
    response = send_file(path, mimetype=mimetypes.guess_type(path.name)[0] or "audio/wav",
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/voice-token")
@role_required(*DESK)
def voice_token() -> Any:
    """A Twilio Voice SDK token for the browser phone (advisers without a phone number)."""
    try:
        token = claims.voice_token(current_app.config, signed_in_user())
    except ConfigError as e:
        # Advisers get a sentence they can act on; the setting's name is for the logs and for
        # admins (the Users page lists what the browser phone still needs).
        log.warning("browser phone token refused: %s", e)
        abort(503, "The browser phone is not set up yet. Tell an administrator.")
    return no_store_json({"token": token, "identity": client_identity(signed_in_user().id)})
