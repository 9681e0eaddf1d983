"""The desk's JSON API under /api/ (the desk page itself uses it; spec at /api/openapi.json).

Every route is for signed-in agents and supervisors; writes need the page's CSRF token in the
X-CSRFToken header. Errors are {"error": "<a sentence saying what to fix>", "status": N}.
Routing rules (who gets which call, atomic claims, Twilio redirects) live in callcenter.routing.claims;
this module only checks who may see or touch what, and shapes the answers.
"""

from __future__ import annotations

import gzip
import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from callcenter.access import role_required
from callcenter.accounts import audit
from callcenter.accounts.users import clock
from callcenter.desk.openapi import spec_for
from callcenter.desk.summary import ID_FIELD, callback_rows, callback_summary, full_summary, iso, waiting_rows
from callcenter.params import BadParameter, body_row_id
from callcenter.routing import claims
from callcenter.routing.callbacks import current_callback, enqueue_dial_due_callbacks
from config.flow import Flow
from config.settings import ConfigError
from db import session as db
from db.advisers import set_status
from db.broker import redis_for
from db.models import Callback, CallEvent, Capture, QueueEntry, User
from db.states import (
    ADVISER_SETTABLE,
    CALLBACK_IN_LINE,
    LEG_WITH_ADVISER,
    AdviserStatus,
    CallbackStatus,
    LegStatus,
    Role,
)

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")
DESK = (Role.AGENT, Role.SUPERVISOR)
SETTABLE_STATUSES = ADVISER_SETTABLE
ON_CALL = LEG_WITH_ADVISER
OPEN_CALLBACKS = CALLBACK_IN_LINE
NOTES_MAX = 4000
WAITING_SHOWN = 50
FAILED_SHOWN = timedelta(days=7)  # failed callbacks a supervisor's desk lists
GZIP_OVER = 2048  # bytes; below this, compressing costs more than it saves


def app_flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def signed_in_user() -> User:
    return db.current().get(User, current_user.id)


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and request.get_data():
        abort(400, "The body is not valid JSON; send a JSON object with Content-Type: application/json.")
    if data is not None and not isinstance(data, dict):
        abort(400, "Send a JSON object (in curly braces), not a list or a value.")
    return data or {}


def my_queues(user: User) -> list[str]:
    """The queues a desk shows: the user's own; a supervisor without any sees all of them."""
    if user.queues:
        return [q for q in user.queues if q in app_flow().queues]
    return list(app_flow().queues) if user.role == Role.SUPERVISOR else []


def _visible(user: User, entry: QueueEntry | None) -> QueueEntry:
    if entry is None:
        abort(404, "No call has this number; refresh the desk to see the current list.")
    if user.role != Role.SUPERVISOR and entry.agent_id != user.id and entry.queue not in my_queues(user):
        abort(403, "This call is in a queue you do not serve; ask a supervisor to add the queue.")
    return entry


def current_entry(user: User) -> QueueEntry | None:
    """The call the user is on, or still wrapping up (ended, not yet done)."""
    s = db.current()
    return s.scalar(select(QueueEntry).where(
        QueueEntry.agent_id == user.id,
        QueueEntry.status.in_(ON_CALL)
        | ((QueueEntry.status == LegStatus.ENDED) & QueueEntry.wrapped_at.is_(None)),
    ).order_by(QueueEntry.id.desc()).limit(1))


def has_work(user: User) -> bool:
    """On a call or a callback, or still wrapping one up: no other call, no other status."""
    return current_entry(user) is not None or current_callback(db.current(), user.id) is not None


def _current_json(s: Any, flow: Flow, user: User, now: Any) -> dict[str, Any] | None:
    entry = current_entry(user)
    if entry is not None:
        return full_summary(s, flow, entry, now)
    callback = current_callback(s, user.id)
    return callback_summary(s, flow, callback, now) if callback is not None else None


def _me_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "role": user.role, "status": user.status,
            "status_since": iso(user.status_since), "queues": my_queues(user),
            "languages": list(user.languages or [])}


def desk_state_of(user: User) -> dict[str, Any]:
    s, flow, now = db.current(), app_flow(), clock(current_app.config)
    queues = my_queues(user)
    entries = claims.waiting_entries(s, queues, user.languages or None) if queues else []
    shown = Callback.status.in_(OPEN_CALLBACKS)
    if user.role == Role.SUPERVISOR:  # and the week's failed ones, to be tried again
        shown = shown | ((Callback.status == CallbackStatus.FAILED)
                         & (Callback.last_attempt_at >= now - FAILED_SHOWN))
    callbacks = s.scalars(select(Callback).where(Callback.queue.in_(queues), shown)
                          .order_by(Callback.requested_at)).all() if queues else []
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
        "current": _current_json(s, flow, user, now),
    }


def no_store_json(payload: Any, status: int = 200) -> Any:
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
    return no_store_json(desk_state_of(signed_in_user()))


@bp.put("/me/status")
@role_required(*DESK)
def change_status() -> Any:
    status = json_body().get("status")
    if status not in SETTABLE_STATUSES:
        abort(400, f"Choose a status from: {', '.join(SETTABLE_STATUSES)}.")
    s, user = db.current(), signed_in_user()
    if has_work(user) and status != AdviserStatus.AFTER_CALL:
        abort(409, "Finish your current call first: press Done after choosing a disposition.")
    set_status(s, user, status, clock(current_app.config))
    s.commit()
    if status == AdviserStatus.AVAILABLE:  # a callback waiting its turn may be this adviser's now
        dial_callbacks_soon()
    return no_store_json(_me_json(user))


def dial_callbacks_soon() -> None:
    try:
        enqueue_dial_due_callbacks(redis_for(current_app.config["REDIS_URL"]))
    except Exception:  # Redis down: the worker's timer dials them within its next tick
        log.warning("could not queue the callback dialler; its timer will run it")


@bp.get("/entries/<int:entry_id>")
@role_required(*DESK)
def entry_summary(entry_id: int) -> Any:
    s, user = db.current(), signed_in_user()
    entry = _visible(user, s.get(QueueEntry, entry_id))
    return no_store_json(full_summary(s, app_flow(), entry, clock(current_app.config)))


@bp.post("/entries/<int:entry_id>/reveal-id")
@role_required(*DESK)
def reveal_id(entry_id: int) -> Any:
    """Agents see the full ID only of the caller they are talking to; supervisors of any call.
    Each reveal is recorded on the call (who, not the number)."""
    s, user = db.current(), signed_in_user()
    entry = _visible(user, s.get(QueueEntry, entry_id))
    return reveal(user, entry.call_id, talking=entry.agent_id == user.id and entry.status in ON_CALL)


def reveal(user: User, call_id: int, talking: bool) -> Any:
    """The full ID number the caller typed, to a supervisor or to the adviser talking to them;
    recorded on the call (who asked, not the number)."""
    s = db.current()
    if user.role != Role.SUPERVISOR and not talking:
        abort(403, "You can see the full ID number once you are talking to this caller.")
    cap = s.scalar(select(Capture).where(Capture.call_id == call_id, Capture.field == ID_FIELD,
                                         Capture.value.is_not(None)).order_by(Capture.id.desc()).limit(1))
    if cap is None:
        abort(404, "This caller gave no ID number; ask them for it.")
    s.add(CallEvent(call_id=call_id, kind="id_revealed", detail=f"user {user.id}"))
    audit.record(s, "reveal_id", "call", call_id)
    s.commit()
    return no_store_json({"id_number": cap.value, "status": cap.status})


@bp.post("/callbacks/<int:callback_id>/retry")
@role_required(Role.SUPERVISOR)
def retry_callback(callback_id: int) -> Any:
    """A failed callback (its last attempt reached no one) goes back in line, keeping its place,
    with its attempts counted afresh."""
    s, user = db.current(), signed_in_user()
    cb = s.get(Callback, callback_id)
    if cb is None or cb.queue not in my_queues(user):
        abort(404, "No callback has this number in your queues; refresh the desk.")
    if cb.status != CallbackStatus.FAILED:
        abort(409, f"Only a callback that failed can be tried again; this one is {cb.status}.")
    cb.status, cb.attempts, cb.agent_id, cb.last_attempt_at = CallbackStatus.PENDING, 0, None, None
    s.add(CallEvent(call_id=cb.call_id, kind="callback_retry", detail=f"user {user.id}"))
    s.commit()
    dial_callbacks_soon()
    return no_store_json(desk_state_of(user))


@bp.post("/answer")
@role_required(*DESK)
def answer() -> Any:
    """Claim the best waiting call (or the one given by entry_id) atomically, then connect it."""
    s, user, now = db.current(), signed_in_user(), clock(current_app.config)
    if has_work(user):
        abort(409, "You already have a call; finish it (Done) before answering another.")
    entry_id = json_body().get("entry_id")
    if entry_id is not None:
        try:
            entry_id = body_row_id(entry_id, "entry_id", "a waiting call, or left out for the next one")
        except BadParameter as e:
            abort(400, str(e))
    if not user.queues:
        abort(409, "Your account serves no queue, so no call can be put through to you; "
                   "ask an admin to add your queues.")
    entry = claims.claim(s, user, entry_id, now) if entry_id else claims.claim_next(s, user, now)
    if entry is None:
        s.rollback()
        target = s.get(QueueEntry, entry_id) if entry_id else None
        if target is not None and target.status == LegStatus.WAITING and target.queue not in user.queues:
            abort(409, f"You answer only callers of your queues ({', '.join(user.queues)}); "
                       "ask an admin to add this queue to your account.")
        abort(409, "That call was taken or the caller left; the list is refreshed, pick another.")
    s.commit()
    try:
        claims.connect(current_app.config, entry, user)
    except claims.CallerGone:
        abort(409, "That caller had already hung up; they are off the list. Answer the next caller.")
    except ConfigError as e:
        abort(503, f"Calls cannot be put through: {e}. Tell an administrator; the caller is back in line.")
    except Exception:
        log.exception("connecting queue entry %s to account %s failed", entry.id, user.id)
        abort(502, "The call could not be put through to your phone; it is back in the queue. "
                   "Check your phone number with an admin, then answer again.")
    return no_store_json(desk_state_of(signed_in_user()))


@bp.get("/openapi.json")
@role_required(*DESK, Role.ADMIN)
def openapi() -> Any:
    """The OpenAPI description, with this deployment's queues and dispositions as enums."""
    return jsonify(spec_for(app_flow()))
