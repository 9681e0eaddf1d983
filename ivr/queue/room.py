"""What the call's conference room tells Jobline (its statusCallback, ivr/telephony/conference.py).

Twilio posts the room's events with its SID (ConferenceSid) and the event's name
(StatusCallbackEvent: conference-start, participant-join, participant-leave, participant-hold,
participant-unhold, conference-end; https://www.twilio.com/docs/voice/twiml/conference,
statusCallbackEvent). The SID is what the Participants API addresses the room by, so the first
event that carries it is kept on the call's events; repeats and later events add nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from db.models import CallEvent, QueueEntry
from db.rooms import ROOM_EVENT, room_sid

ROOM_SID = re.compile(r"^CF[0-9a-fA-F]{32}$")


def room_reported(s: Session, entry_id: int, form: Mapping[str, str], now: datetime) -> bool:
    """Keep the room's SID from a status callback of leg `entry_id`'s room; True when it was new.
    A SID that is not a conference SID, or a leg that does not exist, is ignored."""
    sid = form.get("ConferenceSid") or ""
    entry = s.get(QueueEntry, entry_id)
    if entry is None or not ROOM_SID.match(sid) or room_sid(s, entry.call_id) == sid:
        return False
    s.add(CallEvent(call_id=entry.call_id, at=now, kind=ROOM_EVENT, node=entry.queue, detail=sid))
    return True
