"""Hold, resume, mute and unmute on the call an adviser is on, through Twilio's Participants API
(ivr/telephony/conference.py): the caller hears the hold music while held; a muted adviser still
hears the caller. Each change Twilio carried out is recorded on the call (callcenter/desk/holds.py)
for the caller's path and the reports. The call is addressed by its queue leg, as the rest of
/api/calls/<id> (callcenter/desk/conversation_api.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app

from callcenter.access import role_required
from callcenter.accounts.users import clock
from callcenter.desk import holds
from callcenter.desk.requests import no_store_json, signed_in_user
from callcenter.desk.state import DESK
from db import session as db
from db.models import CallEvent, QueueEntry, User
from db.rooms import room_sid
from db.states import LegStatus
from ivr.telephony import conference

bp = Blueprint("conference", __name__, url_prefix="/api")  # registered by callcenter.init_app

# What each button asks of Twilio, the event it records, and the sentence when it makes no sense now.
ACTIONS = {
    "hold": (holds.HELD, "The caller is already on hold."),
    "resume": (holds.RESUMED, "The caller is not on hold."),
    "mute": (holds.MUTED, "You are already muted."),
    "unmute": (holds.UNMUTED, "You are not muted."),
}


def on_the_line(user: User, entry_id: int) -> QueueEntry:
    entry = db.current().get(QueueEntry, entry_id)
    if entry is None or entry.agent_id != user.id:
        abort(404, "You are not on this call; refresh the desk to see your current call.")
    if entry.status != LegStatus.CONNECTED:
        abort(409, "The caller is not talking with you now, so the call cannot be held or muted.")
    return entry


def conversation_state(entry: QueueEntry, now: Any) -> dict[str, Any]:
    """What the desk shows of the conversation (holds.conversation_of)."""
    return holds.conversation_of(db.current(), entry, now)


def _change(entry_id: int, action: str) -> Any:
    s, user, now = db.current(), signed_in_user(), clock(current_app.config)
    entry = on_the_line(user, entry_id)
    kind, already = ACTIONS[action]
    talk = holds.conversation(holds.events_of(s, entry), now)
    if {"hold": talk.on_hold, "resume": not talk.on_hold,
            "mute": talk.muted, "unmute": not talk.muted}[action]:
        abort(409, already)
    room = room_sid(s, entry.call_id)
    if room is None:
        abort(409, "This call is not in a conference room, so it cannot be held or muted; "
                   "you can still transfer or end it.")
    config = current_app.config
    try:
        if action == "hold":
            conference.hold(config, room, conference.hold_audio_url(config))
        elif action == "resume":
            conference.resume(config, room)
        else:
            conference.mute(config, room, muted=action == "mute")
    except conference.NotInConference:
        abort(409, "The caller is no longer on the line.")
    except conference.ConferenceError:
        abort(502, "Twilio did not make that change; the call is as it was. Try again in a moment.")
    s.add(CallEvent(call_id=entry.call_id, at=now, kind=kind, node=entry.queue, detail=str(user.id)))
    s.commit()
    return no_store_json(conversation_state(entry, now))


@bp.post("/calls/<int:entry_id>/hold")
@role_required(*DESK)
def hold(entry_id: int) -> Any:
    """The caller hears the hold music and no longer hears (nor is heard by) the adviser."""
    return _change(entry_id, "hold")


@bp.post("/calls/<int:entry_id>/resume")
@role_required(*DESK)
def resume(entry_id: int) -> Any:
    return _change(entry_id, "resume")


@bp.post("/calls/<int:entry_id>/mute")
@role_required(*DESK)
def mute(entry_id: int) -> Any:
    """The caller stops hearing the adviser; the adviser still hears the caller."""
    return _change(entry_id, "mute")


@bp.post("/calls/<int:entry_id>/unmute")
@role_required(*DESK)
def unmute(entry_id: int) -> Any:
    return _change(entry_id, "unmute")
