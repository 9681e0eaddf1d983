"""What an adviser does on the call they are on: notes, end the conversation, transfer, and Done
(after-call work: a disposition, then available again). A call answered from the queue is
addressed by its queue leg (/api/calls/<id>), a callback by its number (/api/callbacks/<id>);
the desk shows either as its current call (callcenter/desk/state.py desk_state_of).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app

from callcenter.access import role_required
from callcenter.accounts.users import clock
from callcenter.desk.requests import app_flow, json_body, no_store_json, signed_in_user
from callcenter.desk.state import DESK, ON_CALL, desk_state_of, dial_callbacks_soon, revealed_id
from callcenter.routing import callbacks, claims
from db import session as db
from db.advisers import set_status
from db.models import Callback, QueueEntry, User
from db.states import AdviserStatus, CallbackStatus
from ivr.telephony.rest import end_call as end_at_twilio
from ivr.telephony.rest import redirect_call

bp = Blueprint("calls", __name__, url_prefix="/api")  # registered by callcenter.init_app
NOTES_MAX = 4000  # characters; the spec says the same (callcenter/desk/openapi.py maxLength)
TRANSFER_NOTE_MAX = 500  # a line or two for the next adviser; the spec says the same


def notes_given(notes: Any) -> str:
    if not isinstance(notes, str) or len(notes) > NOTES_MAX:
        abort(400, f"notes must be text of at most {NOTES_MAX} characters.")
    return notes


def wrap_up_given(body: dict[str, Any], notes_so_far: str | None) -> tuple[str, str]:
    """Notes (those saved so far unless the body gives new ones) and a disposition, checked."""
    disposition = body.get("disposition")
    if disposition not in app_flow().dispositions:
        abort(400, "Choose a disposition (how the call ended) from: "
                   f"{', '.join(app_flow().dispositions)}.")
    if not isinstance(body.get("available", True), bool):
        abort(400, "available must be true or false (whether to take calls again after Done).")
    return notes_given(body.get("notes", notes_so_far or "")), disposition


def end_talk(sid: str | None, queue: str, survey_path: str) -> None:
    """The conversation ended on the desk (after commit): the caller's call ends at Twilio, or,
    when their queue asks the question after the call (config/flow_survey.py), goes on to it:
    a REST redirect leaves the <Dial>, hanging up the adviser's leg (ivr/queue/survey.py)."""
    q = app_flow().queues.get(queue)
    if q is not None and q.survey and redirect_call(current_app.config, sid, survey_path):
        return
    end_at_twilio(current_app.config, sid)


def finish_wrap_up(user: User, body: dict[str, Any], now: Any,
                   hang_up: tuple[str | None, str, str] | None = None) -> Any:
    """After Done: the wrap-up has moved after-call work to available; an adviser who was set
    offline meanwhile (signed out, idle) becomes available too unless the body says
    {"available": false}. A callback waiting its turn may be this adviser's now. `hang_up`: the
    (sid, queue, survey path) of the call Done ended while they were still talking, ended at
    Twilio (or sent on to the survey) once this is committed."""
    s = db.current()
    if user.status != AdviserStatus.AVAILABLE and body.get("available", True):
        set_status(s, user, AdviserStatus.AVAILABLE, now)
    s.commit()
    if hang_up:
        end_talk(*hang_up)
    if user.status == AdviserStatus.AVAILABLE:
        dial_callbacks_soon()
    return no_store_json(desk_state_of(user))


def _mine(user: User, kind: type[QueueEntry] | type[Callback], row_id: int) -> Any:
    """The user's own call (a queue leg) or callback, else 404."""
    row = db.current().get(kind, row_id)
    if row is None or row.agent_id != user.id:
        what = "callback" if kind is Callback else "call"
        abort(404, f"You are not on this {what}; refresh the desk to see your current call.")
    return row


def _save_notes(row: QueueEntry | Callback) -> Any:
    row.notes = notes_given(json_body().get("notes"))
    db.current().commit()
    return no_store_json({"id": row.id, "notes": row.notes})


@bp.put("/calls/<int:entry_id>/notes")
@role_required(*DESK)
def save_notes(entry_id: int) -> Any:
    return _save_notes(_mine(signed_in_user(), QueueEntry, entry_id))


@bp.post("/calls/<int:entry_id>/end")
@role_required(*DESK)
def end_call(entry_id: int) -> Any:
    s, user = db.current(), signed_in_user()
    entry = _mine(user, QueueEntry, entry_id)
    if entry.status in ON_CALL:
        claims.end_conversation(s, entry, clock(current_app.config))
        s.commit()
        end_talk(entry.call.sid, entry.queue, f"/ivr/survey/leg/{entry.id}")  # and the adviser's leg
    return no_store_json(desk_state_of(user))


@bp.post("/calls/<int:entry_id>/transfer")
@role_required(*DESK)
def transfer(entry_id: int) -> Any:
    s, user = db.current(), signed_in_user()
    entry = _mine(user, QueueEntry, entry_id)
    queue = json_body().get("queue")
    if queue not in app_flow().queues:
        abort(400, f"Choose a queue from: {', '.join(app_flow().queues)}.")
    if queue == entry.queue:  # a queue that exists, but not from where the call is now: 409
        abort(409, "The caller is already in that queue; choose another one.")
    note = json_body().get("note") or ""
    if not isinstance(note, str) or len(note) > TRANSFER_NOTE_MAX:
        abort(400, f"note must be text of at most {TRANSFER_NOTE_MAX} characters.")
    if entry.status not in ON_CALL:
        abort(409, "The caller is no longer on the line, so the call cannot be transferred.")
    claims.transfer(s, entry, user, queue, clock(current_app.config), note=note.strip() or None)
    s.commit()
    return no_store_json(desk_state_of(user))


@bp.post("/calls/<int:entry_id>/wrap-up")
@role_required(*DESK)
def wrap_up(entry_id: int) -> Any:
    """Done: save notes and disposition, end the after-call work, back to available."""
    s, user, now = db.current(), signed_in_user(), clock(current_app.config)
    entry = _mine(user, QueueEntry, entry_id)
    body = json_body()
    notes, disposition = wrap_up_given(body, entry.notes)
    if entry.wrapped_at is not None:
        abort(409, "This call is already wrapped up.")
    talking = entry.status in ON_CALL
    if talking:  # Done while still talking: the call ends, at Twilio too
        claims.end_conversation(s, entry, now)
    claims.wrap_up(s, entry, user, notes, disposition, now)
    ended = (entry.call.sid, entry.queue, f"/ivr/survey/leg/{entry.id}")
    return finish_wrap_up(user, body, now, hang_up=ended if talking else None)


@bp.put("/callbacks/<int:callback_id>/notes")
@role_required(*DESK)
def save_callback_notes(callback_id: int) -> Any:
    return _save_notes(_mine(signed_in_user(), Callback, callback_id))


@bp.post("/callbacks/<int:callback_id>/wrap-up")
@role_required(*DESK)
def wrap_up_callback(callback_id: int) -> Any:
    """Done: notes and disposition saved, the callback's after-call work over, back to available."""
    user, now = signed_in_user(), clock(current_app.config)
    cb = _mine(user, Callback, callback_id)
    body = json_body()
    notes, disposition = wrap_up_given(body, cb.notes)
    if cb.wrapped_at is not None:
        abort(409, "This callback is already wrapped up.")
    if cb.status not in (CallbackStatus.DIALING, CallbackStatus.CONNECTED, CallbackStatus.COMPLETED):
        abort(409, "This callback did not reach the caller, so there is nothing to wrap up.")
    talking = cb.status == CallbackStatus.CONNECTED
    try:
        callbacks.wrap_up(db.current(), cb, user, notes, disposition, now)
    except ValueError:
        abort(409, "The caller has not answered yet: wait for them to press 1, or for the try "
                   "to end (the desk then frees you).")
    ended = (cb.outbound_sid, cb.queue, f"/ivr/survey/callback/{cb.id}")
    return finish_wrap_up(user, body, now, hang_up=ended if talking else None)


@bp.post("/callbacks/<int:callback_id>/reveal-id")
@role_required(*DESK)
def reveal_callback_id(callback_id: int) -> Any:
    user = signed_in_user()
    cb = _mine(user, Callback, callback_id)
    return no_store_json(revealed_id(user, cb.call_id, talking=cb.status == CallbackStatus.CONNECTED))
