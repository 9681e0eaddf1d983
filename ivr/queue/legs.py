"""Queue legs seen from the telephone: who may answer, how a leg ends, what the call's outcome is.

A leg is a QueueEntry (db/models/queues.py). The adviser desk (callcenter/) claims and wraps legs up;
this module closes them from what Twilio tells us (the caller hung up, left, was connected) so
the outcomes in METRICS.md hold even when the desk never hears about the end of a call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from config import settings
from db import advisers
from db.models import Call, Callback, QueueEntry
from db.states import LEG_OPEN, AdviserStatus, LegOutcome, LegStatus


def open_leg(s: Session, call_id: int) -> QueueEntry | None:
    return s.scalar(select(QueueEntry).where(QueueEntry.call_id == call_id, QueueEntry.status.in_(LEG_OPEN))
                    .order_by(QueueEntry.id.desc()).limit(1))


def move_agent(s: Session, agent_id: int | None, status: str, at: datetime) -> None:
    """Put an adviser in a status (recorded for occupancy), unless they are already in it."""
    advisers.set_status(s, agent_id, status, at)


def abandon_outcome(wait_s: float) -> str:
    return LegOutcome.SHORT_ABANDON if wait_s < settings.SHORT_ABANDON_S else LegOutcome.ABANDONED


def waited(entry: QueueEntry, at: datetime) -> float:
    """Seconds in the queue since the caller joined it (METRICS.md), on our own clock.

    Not Twilio's QueueTime: it counts only the latest <Enqueue>
    (https://www.twilio.com/docs/voice/twiml/enqueue, "QueueTime"), and a caller put back in
    line after a missed adviser is enqueued again, keeping their place and their enqueued_at.
    """
    return max(0.0, (at - entry.enqueued_at).total_seconds())


def leave(s: Session, entry: QueueEntry, outcome: str, at: datetime) -> bool:
    """The caller left the line unanswered; False if an adviser claimed them first (no change)."""
    won = s.execute(update(QueueEntry)
                    .where(QueueEntry.id == entry.id, QueueEntry.status == LegStatus.WAITING)
                    .values(status=LegStatus.LEFT, outcome=outcome, left_at=at)
                    .execution_options(synchronize_session=False)).rowcount == 1
    if won:
        s.refresh(entry)
    return won


def hung_up(s: Session, entry: QueueEntry, at: datetime) -> None:
    """The caller's line went dead: close the leg in whatever state it was in."""
    s.refresh(entry)
    if entry.status == LegStatus.WAITING:
        leave(s, entry, abandon_outcome(waited(entry, at)), at)
    elif entry.status == LegStatus.CONNECTING:  # the adviser's phone was still ringing: never connected
        entry.status, entry.outcome, entry.left_at = LegStatus.LEFT, abandon_outcome(waited(entry, at)), at
        move_agent(s, entry.agent_id, AdviserStatus.AVAILABLE, at)
    elif entry.status == LegStatus.CONNECTED:
        entry.status, entry.ended_at = LegStatus.ENDED, at
        entry.outcome = entry.outcome or LegOutcome.ANSWERED
        move_agent(s, entry.agent_id, AdviserStatus.AFTER_CALL, at)


def close_legs(call: Call, at: datetime) -> None:
    """The call ended: no leg of it may stay waiting, ringing or talking."""
    s = object_session(call)
    if s is None or call.id is None:
        return
    for entry in s.scalars(select(QueueEntry).where(QueueEntry.call_id == call.id,
                                                    QueueEntry.status.in_(LEG_OPEN))).all():
        hung_up(s, entry, at)


def queue_outcome(call: Call) -> str | None:
    """The call's outcome from its queue legs and callbacks (None: it never reached a queue)."""
    s = object_session(call)
    if s is None or call.id is None:
        return None
    outcomes = s.scalars(select(QueueEntry.outcome).where(QueueEntry.call_id == call.id)
                         .order_by(QueueEntry.id)).all()
    if LegOutcome.TRANSFERRED in outcomes:
        return LegOutcome.TRANSFERRED  # METRICS.md: the new leg is counted in its own queue
    has_callback = s.scalar(select(Callback.id).where(Callback.call_id == call.id).limit(1)) is not None
    if has_callback:
        return LegOutcome.CALLBACK
    return next((o for o in reversed(outcomes) if o), None)
