"""The desk's JSON API under /api/ (the desk page itself uses it; spec at /api/openapi.json).

Every route is for signed-in agents and supervisors; writes need the page's CSRF token in the
X-CSRFToken header. Errors are {"error": "<a sentence saying what to fix>", "status": N}.
Routing rules (who gets which call, atomic claims, Twilio redirects) live in callcenter.routing;
this module only checks who may see or touch what, and shapes the answers.
"""

from __future__ import annotations

import gzip
import logging
import mimetypes
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, send_file
from flask_login import current_user
from sqlalchemy import select

from callcenter import routing
from callcenter.access import role_required
from callcenter.accounts import clock
from callcenter.agents import set_status
from callcenter.openapi import SPEC
from callcenter.summary import ID_FIELD, callback_rows, full_summary, iso, waiting_rows
from config import settings
from config.flow import Flow
from config.settings import ConfigError
from db import session as db
from db.models import Callback, CallEvent, Capture, QueueEntry, Recording, User

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")
DESK = ("agent", "supervisor")
SETTABLE_STATUSES = ("available", "break", "after_call", "offline")
ON_CALL = ("connecting", "connected")
OPEN_CALLBACKS = ("pending", "dialing")
NOTES_MAX = 4000
WAITING_SHOWN = 50
GZIP_OVER = 2048  # bytes; below this, compressing costs more than it saves


def _flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def _me() -> User:
    return db.current().get(User, current_user.id)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and request.get_data():
        abort(400, "The body is not valid JSON; send a JSON object with Content-Type: application/json.")
    if data is not None and not isinstance(data, dict):
        abort(400, "Send a JSON object (in curly braces), not a list or a value.")
    return data or {}


def my_queues(user: User) -> list[str]:
    """The queues a desk shows: the user's own; a supervisor without any sees all of them."""
    if user.queues:
        return [q for q in user.queues if q in _flow().queues]
    return list(_flow().queues) if user.role == "supervisor" else []


def _visible(user: User, entry: QueueEntry | None) -> QueueEntry:
    if entry is None:
        abort(404, "No call has this number; refresh the desk to see the current list.")
    if user.role != "supervisor" and entry.agent_id != user.id and entry.queue not in my_queues(user):
        abort(403, "This call is in a queue you do not serve; ask a supervisor to add the queue.")
    return entry


def _mine(user: User, entry_id: int) -> QueueEntry:
    entry = db.current().get(QueueEntry, entry_id)
    if entry is None or entry.agent_id != user.id:
        abort(404, "You are not on this call; refresh the desk to see your current call.")
    return entry


def current_entry(user: User) -> QueueEntry | None:
    """The call the user is on, or still wrapping up (ended, not yet done)."""
    s = db.current()
    return s.scalar(select(QueueEntry).where(
        QueueEntry.agent_id == user.id,
        QueueEntry.status.in_(ON_CALL) | ((QueueEntry.status == "ended") & QueueEntry.wrapped_at.is_(None)),
    ).order_by(QueueEntry.id.desc()).limit(1))


def _me_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "role": user.role, "status": user.status,
            "status_since": iso(user.status_since), "queues": my_queues(user),
            "languages": list(user.languages or [])}


def _desk_state(user: User) -> dict[str, Any]:
    s, flow, now = db.current(), _flow(), clock(current_app.config)
    queues = my_queues(user)
    entries = routing.waiting_entries(s, queues, user.languages or None) if queues else []
    callbacks = s.scalars(select(Callback).where(Callback.queue.in_(queues),
                                                 Callback.status.in_(OPEN_CALLBACKS))
                          .order_by(Callback.requested_at)).all() if queues else []
    current = current_entry(user)
    oldest = min((e.enqueued_at for e in entries), default=None)
    return {
        "server_time": iso(now),
        "me": _me_json(user),
        # The first rows in serving order: an adviser answers from the top; the wallboard
        # shows the whole line. The count and longest wait still cover everyone.
        "waiting": waiting_rows(s, flow, entries[:WAITING_SHOWN], now),
        "waiting_total": len(entries),
        "longest_wait_since": iso(oldest),
        "callbacks": callback_rows(s, flow, callbacks, now),
        "current": full_summary(s, flow, current, now) if current else None,
    }


def _no_store(payload: Any, status: int = 200) -> Any:
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    # The desk polls every 1.5 s; a long waiting list is repetitive JSON that gzips ~20:1.
    if len(response.get_data()) > GZIP_OVER and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(response.get_data(), compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    return response


@bp.get("/desk")
@role_required(*DESK)
def desk_state() -> Any:
    return _no_store(_desk_state(_me()))


@bp.put("/me/status")
@role_required(*DESK)
def change_status() -> Any:
    status = _body().get("status")
    if status not in SETTABLE_STATUSES:
        abort(400, f"Choose a status from: {', '.join(SETTABLE_STATUSES)}.")
    s, user = db.current(), _me()
    if current_entry(user) is not None and status != "after_call":
        abort(409, "Finish your current call first: press Done after choosing a disposition.")
    set_status(s, user, status, clock(current_app.config))
    s.commit()
    return _no_store(_me_json(user))


@bp.get("/entries/<int:entry_id>")
@role_required(*DESK)
def entry_summary(entry_id: int) -> Any:
    s, user = db.current(), _me()
    entry = _visible(user, s.get(QueueEntry, entry_id))
    return _no_store(full_summary(s, _flow(), entry, clock(current_app.config)))


@bp.post("/entries/<int:entry_id>/reveal-id")
@role_required(*DESK)
def reveal_id(entry_id: int) -> Any:
    """Agents see the full ID only of the caller they are talking to; supervisors of any call.
    Each reveal is recorded on the call (who, not the number)."""
    s, user = db.current(), _me()
    entry = _visible(user, s.get(QueueEntry, entry_id))
    if user.role != "supervisor" and not (entry.agent_id == user.id and entry.status in ON_CALL):
        abort(403, "You can see the full ID number once you are talking to this caller.")
    cap = s.scalar(select(Capture).where(Capture.call_id == entry.call_id, Capture.field == ID_FIELD,
                                         Capture.value.is_not(None)).order_by(Capture.id.desc()).limit(1))
    if cap is None:
        abort(404, "This caller gave no ID number; ask them for it.")
    s.add(CallEvent(call_id=entry.call_id, kind="id_revealed", detail=f"user {user.id}"))
    s.commit()
    return _no_store({"id_number": cap.value, "status": cap.status})


@bp.post("/answer")
@role_required(*DESK)
def answer() -> Any:
    """Claim the best waiting call (or the one given by entry_id) atomically, then connect it."""
    s, user, now = db.current(), _me(), clock(current_app.config)
    if current_entry(user) is not None:
        abort(409, "You already have a call; finish it (Done) before answering another.")
    entry_id = _body().get("entry_id")
    if entry_id is not None and not isinstance(entry_id, int):
        abort(400, "entry_id must be the number of a waiting call, or left out for the next one.")
    entry = routing.claim(s, user, entry_id, now) if entry_id else routing.claim_next(s, user, now)
    if entry is None:
        s.rollback()
        abort(409, "That call was taken or the caller left; the list is refreshed, pick another.")
    s.commit()
    try:
        routing.connect(current_app.config, entry, user)
    except ConfigError as e:
        abort(503, f"Calls cannot be put through: {e}. Tell an administrator; the caller is back in line.")
    except Exception:
        log.exception("connecting queue entry %s to account %s failed", entry.id, user.id)
        abort(502, "The call could not be put through to your phone; it is back in the queue. "
                   "Check your phone number with an admin, then answer again.")
    return _no_store(_desk_state(_me()))


@bp.put("/calls/<int:entry_id>/notes")
@role_required(*DESK)
def save_notes(entry_id: int) -> Any:
    s, user = db.current(), _me()
    entry = _mine(user, entry_id)
    notes = _body().get("notes")
    if not isinstance(notes, str) or len(notes) > NOTES_MAX:
        abort(400, f"notes must be text of at most {NOTES_MAX} characters.")
    entry.notes = notes
    s.commit()
    return _no_store({"id": entry.id, "notes": entry.notes})


@bp.post("/calls/<int:entry_id>/end")
@role_required(*DESK)
def end_call(entry_id: int) -> Any:
    s, user = db.current(), _me()
    entry = _mine(user, entry_id)
    if entry.status in ON_CALL:
        routing.end_conversation(s, entry, clock(current_app.config))
        s.commit()
    return _no_store(_desk_state(user))


@bp.post("/calls/<int:entry_id>/transfer")
@role_required(*DESK)
def transfer(entry_id: int) -> Any:
    s, user = db.current(), _me()
    entry = _mine(user, entry_id)
    queue = _body().get("queue")
    if queue not in _flow().queues:
        abort(400, f"Choose a queue from: {', '.join(_flow().queues)}.")
    if queue == entry.queue:
        abort(400, "The caller is already in that queue; choose another one.")
    if entry.status not in ON_CALL:
        abort(409, "The caller is no longer on the line, so the call cannot be transferred.")
    routing.transfer(s, entry, user, queue, clock(current_app.config))
    s.commit()
    return _no_store(_desk_state(user))


@bp.post("/calls/<int:entry_id>/wrap-up")
@role_required(*DESK)
def wrap_up(entry_id: int) -> Any:
    """Done: save notes and disposition, end the after-call work, back to available."""
    s, user, now = db.current(), _me(), clock(current_app.config)
    entry = _mine(user, entry_id)
    body = _body()
    disposition, notes = body.get("disposition"), body.get("notes", entry.notes or "")
    if disposition not in _flow().dispositions:
        abort(400, "Choose a disposition (how the call ended) from: "
                   f"{', '.join(_flow().dispositions)}.")
    if not isinstance(notes, str) or len(notes) > NOTES_MAX:
        abort(400, f"notes must be text of at most {NOTES_MAX} characters.")
    if entry.wrapped_at is not None:
        abort(409, "This call is already wrapped up.")
    if entry.status in ON_CALL:
        routing.end_conversation(s, entry, now)
    routing.wrap_up(s, entry, user, notes, disposition, now)
    if user.status != "available" and body.get("available", True):
        set_status(s, user, "available", now)
    s.commit()
    return _no_store(_desk_state(user))


@bp.get("/recordings/<int:recording_id>/audio")
@role_required(*DESK)
def recording_audio(recording_id: int) -> Any:
    """Stream a name or reason recording to an adviser who may see its call."""
    s, user = db.current(), _me()
    rec = s.get(Recording, recording_id)
    if rec is None or rec.call_id is None or rec.kind not in ("name", "reason"):
        abort(404, "No such recording; refresh the desk.")
    if user.role != "supervisor":
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
    response = send_file(path, mimetype=mimetypes.guess_type(path.name)[0] or "audio/wav",
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/voice-token")
@role_required(*DESK)
def voice_token() -> Any:
    """A Twilio Voice SDK token for the browser phone (advisers without a phone number)."""
    try:
        token = routing.voice_token(current_app.config, _me())
    except ConfigError as e:
        abort(503, f"The browser phone is not set up: {e}. Tell an administrator.")
    return _no_store({"token": token, "identity": routing.client_identity(_me())})


@bp.get("/openapi.json")
@role_required(*DESK, "admin")
def openapi() -> Any:
    return jsonify(SPEC)
