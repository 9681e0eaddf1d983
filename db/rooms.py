"""Where a call's conference room is kept: Twilio reports the room's SID to its status callback
(ivr/queue/room.py), and the desk addresses the room by it (callcenter/desk/conference_api.py).
Kept as an event of the call, kind ROOM_EVENT, detail the CF SID: no column, no migration."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CallEvent

ROOM_EVENT = "conference"


def room_sid(s: Session, call_id: int) -> str | None:
    """The CF SID of the call's room, once Twilio has reported it (else None)."""
    return s.scalar(select(CallEvent.detail).where(CallEvent.call_id == call_id, CallEvent.kind == ROOM_EVENT)
                    .order_by(CallEvent.id.desc()).limit(1))
