"""Consult and warm transfer to an outside line of the flow's directory (config/ivr.yaml
`directory`: no other number can be dialled): the caller is held, the line is rung into the
call's conference room (ivr/telephony/conference.py), the adviser talks to them, then either hands
the caller on ("Transfer": the adviser leaves, the caller comes off hold with that line) or
returns ("Return": the line leaves, the caller comes off hold with the adviser). A line that does
not answer is handled by Return. Each step is an event of the call (callcenter/desk/holds.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app

from callcenter.access import role_required
from callcenter.accounts.users import clock
from callcenter.desk import holds
from callcenter.desk.conference_api import conversation_state, on_the_line
from callcenter.desk.requests import app_flow, json_body, no_store_json, signed_in_user
from callcenter.desk.state import DESK, desk_state_of
from db import session as db
from db.advisers import set_status
from db.models import CallEvent, QueueEntry, User
from db.rooms import room_sid
from db.states import AdviserStatus, LegOutcome, LegStatus
from ivr.telephony import conference

bp = Blueprint("consult", __name__, url_prefix="/api")  # registered by callcenter.init_app
RING_S = 20  # seconds an outside line rings before Twilio gives up (the adviser then presses Return)
GONE = "The caller is no longer on the line."
TWILIO_FAILED = "Twilio did not make that change; the call is as it was. Try again in a moment."


def _room(entry: QueueEntry) -> str:
    room = room_sid(db.current(), entry.call_id)
    if room is None:
        abort(409, "This call is not in a conference room, so nobody can be brought in; "
                   "you can still transfer it to a queue.")
    return room


def _event(entry: QueueEntry, user: User, kind: str, code: str | None, now: Any) -> None:
    detail = f"{user.id}:{code}" if code else str(user.id)
    db.current().add(CallEvent(call_id=entry.call_id, at=now, kind=kind, node=entry.queue, detail=detail))


@bp.post("/calls/<int:entry_id>/consult")
@role_required(*DESK)
def consult(entry_id: int) -> Any:
    """Hold the caller and ring a directory line into the call, to talk to them first."""
    s, user, now, config = db.current(), signed_in_user(), clock(current_app.config), current_app.config
    entry = on_the_line(user, entry_id)
    directory = app_flow().directory
    code = json_body().get("directory")
    if code not in directory:
        abort(400, "Choose a line from the directory: " + (", ".join(
            f"{e.code} ({e.label})" for e in directory.values()) or "none is set up") + ".")
    talk = holds.conversation(holds.events_of(s, entry), now)
    if talk.consulting:
        abort(409, "You are already talking to someone else on this call: transfer or return first.")
    caller_id = config.get("TWILIO_CALLER_ID")
    if not caller_id:
        abort(503, "Jobline has no number to ring outside lines from; tell an administrator.")
    room = _room(entry)
    try:
        if not talk.on_hold:
            conference.hold(config, room, conference.hold_audio_url(config))
            _event(entry, user, holds.HELD, None, now)
        conference.add_party(config, room, directory[code].number, caller_id, conference.CONSULTED, RING_S)
    except conference.NotInConference:
        abort(409, GONE)
    except conference.ConferenceError:
        s.commit()  # a hold that Twilio did carry out stays recorded
        abort(502, TWILIO_FAILED)
    _event(entry, user, holds.CONSULTED, code, now)
    s.commit()
    return no_store_json(conversation_state(entry, now))


def _consulting(entry: QueueEntry, now: Any) -> str:
    talk = holds.conversation(holds.events_of(db.current(), entry), now)
    if not talk.consulting:
        abort(409, "Nobody else is on this call; consult someone first.")
    return talk.consulting


@bp.post("/calls/<int:entry_id>/consult/return")
@role_required(*DESK)
def return_to_caller(entry_id: int) -> Any:
    """The consulted line leaves (or had not answered); the caller comes off hold with the adviser."""
    s, user, now, config = db.current(), signed_in_user(), clock(current_app.config), current_app.config
    entry = on_the_line(user, entry_id)
    code, room = _consulting(entry, now), _room(entry)
    try:
        conference.remove(config, room, conference.CONSULTED)
        conference.resume(config, room)
    except conference.NotInConference:
        abort(409, GONE)
    except conference.ConferenceError:
        abort(502, TWILIO_FAILED)
    _event(entry, user, holds.CONSULT_ENDED, code, now)
    _event(entry, user, holds.RESUMED, None, now)
    s.commit()
    return no_store_json(conversation_state(entry, now))


@bp.post("/calls/<int:entry_id>/consult/transfer")
@role_required(*DESK)
def hand_on(entry_id: int) -> Any:
    """Warm transfer: the adviser leaves the room, the caller comes off hold with the consulted line,
    and the call ends for everyone when that line hangs up. The adviser's after-call work starts."""
    s, user, now, config = db.current(), signed_in_user(), clock(current_app.config), current_app.config
    entry = on_the_line(user, entry_id)
    code, room = _consulting(entry, now), _room(entry)
    try:
        conference.ends_room(config, room, conference.CONSULTED, ends=True)
        conference.resume(config, room)
        conference.ends_room(config, room, conference.ADVISER, ends=False)
        conference.remove(config, room, conference.ADVISER)
    except conference.NotInConference:
        abort(409, "The line you consulted has left the call; press Return to talk to the caller.")
    except conference.ConferenceError:
        abort(502, TWILIO_FAILED)
    _event(entry, user, holds.RESUMED, None, now)
    _event(entry, user, holds.HANDED_ON, code, now)
    entry.status, entry.ended_at, entry.outcome = LegStatus.ENDED, now, LegOutcome.TRANSFERRED
    set_status(s, user, AdviserStatus.AFTER_CALL, now)
    s.commit()
    return no_store_json(desk_state_of(user))
