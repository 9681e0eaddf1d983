"""The desk's JSON API under /api/ (the desk page itself uses it; spec at /api/openapi.json).

Every route is for signed-in agents and supervisors; writes need the page's CSRF token in the
X-CSRFToken header. Errors are {"error": "<a sentence saying what to fix>", "status": N}.
Routing rules (who gets which call, atomic claims, Twilio redirects) live in callcenter.routing.claims;
this module only checks who may see or touch what, and shapes the answers. What the desk shows
an adviser is callcenter.desk.state; the request and answer plumbing is callcenter.desk.requests.
The current call's own routes (notes, end, transfer, Done) are callcenter.desk.conversation_api.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, jsonify

from callcenter.access import role_required
from callcenter.accounts.users import clock
from callcenter.desk.openapi import spec_for
from callcenter.desk.requests import app_flow, json_body, no_store_json, signed_in_user
from callcenter.desk.state import (
    DESK,
    ON_CALL,
    desk_state_of,
    dial_callbacks_soon,
    has_work,
    me_json,
    my_queues,
    revealed_id,
)
from callcenter.desk.summary import full_summary
from callcenter.params import BadParameter, body_row_id
from callcenter.routing import claims
from callcenter.routing.offers import offer_queues
from config.settings import ConfigError
from db import session as db
from db.advisers import set_status
from db.models import Callback, CallEvent, QueueEntry, User
from db.states import ADVISER_SETTABLE, AdviserStatus, CallbackStatus, LegStatus, Role

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")
SETTABLE_STATUSES = ADVISER_SETTABLE


def _visible(user: User, entry: QueueEntry | None) -> QueueEntry:
    if entry is None:
        abort(404, "No call has this number; refresh the desk to see the current list.")
    if user.role != Role.SUPERVISOR and entry.agent_id != user.id and entry.queue not in my_queues(user):
        abort(403, "This call is in a queue you do not serve; ask a supervisor to add the queue.")
    return entry


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
    return no_store_json(me_json(user))


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
    talking = entry.agent_id == user.id and entry.status in ON_CALL
    return no_store_json(revealed_id(user, entry.call_id, talking))


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
    offered = offer_queues(app_flow())  # their callers ring on a desk in turn (routing/offers.py)
    target = s.get(QueueEntry, entry_id) if entry_id else None
    if target is not None and target.queue in offered:
        abort(409, "Callers of this queue are offered to advisers in turn: wait for one to ring on "
                   "your desk, then press Accept.")
    pull = [q for q in user.queues if q not in offered]
    if not entry_id and not pull:
        abort(409, "Callers of your queues are offered to advisers in turn: wait for one to ring on "
                   "your desk, then press Accept.")
    entry = claims.claim(s, user, entry_id, now) if entry_id else claims.claim_next(s, user, now, pull)
    if entry is None:
        s.rollback()
        target = s.get(QueueEntry, entry_id) if entry_id else None
        if target is not None and target.status == LegStatus.WAITING and target.queue not in user.queues:
            abort(409, f"You answer only callers of your queues ({', '.join(user.queues)}); "
                       "ask an admin to add this queue to your account.")
        abort(409, "That call was taken or the caller left; the list is refreshed, pick another.")
    s.commit()
    put_through(entry, user)
    return no_store_json(desk_state_of(signed_in_user()))


def put_through(entry: QueueEntry, user: User) -> None:
    """Connect a claimed (committed) caller to the adviser; an error is a sentence for them."""
    try:
        claims.connect(current_app.config, entry, user)
    except claims.CallerGone:
        abort(409, "That caller had already hung up; they are off the list. Answer the next caller.")
    except ConfigError as e:  # the setting's name is for the log, not the adviser
        log.warning("connecting queue entry %s failed: %s", entry.id, e)
        abort(503, "Calls cannot be put through: Jobline is not fully set up. Tell an administrator; "
                   "the caller is back in line.")
    except Exception:
        log.exception("connecting queue entry %s to account %s failed", entry.id, user.id)
        abort(502, "The call could not be put through to your phone; it is back in the queue. "
                   "Check your phone number with an admin, then answer again.")


@bp.get("/openapi.json")
@role_required(*DESK, Role.ADMIN)
def openapi() -> Any:
    """The OpenAPI description, with this deployment's queues and dispositions as enums."""
    return jsonify(spec_for(app_flow()))
