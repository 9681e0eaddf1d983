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
from db.models import AgentStatusChange, Call, Callback, QueueEntry, User

OPEN = ("waiting", "connecting", "connected")
ON_DUTY = ("available", "busy", "after_call")  # METRICS.md: advisers "available or busy"


def advisers_on(s: Session, queue: str, language: str | None) -> list[User]:
    """Logged-in advisers (any status but offline) who serve this queue and language.

    The users table is small and queues/languages are JSON lists, which SQLite and PostgreSQL
    query differently: filtering in Python keeps one portable query.
    """
    users = s.scalars(select(User).where(User.active.is_(True), User.status != "offline")).all()
    return [u for u in users
            if queue in (u.queues or []) and (language is None or language in (u.languages or []))]


def open_leg(s: Session, call_id: int) -> QueueEntry | None:
    return s.scalar(select(QueueEntry).where(QueueEntry.call_id == call_id, QueueEntry.status.in_(OPEN))
                    .order_by(QueueEntry.id.desc()).limit(1))


def move_agent(s: Session, agent_id: int | None, status: str, at: datetime) -> None:
    """Put an adviser in a status (recorded for occupancy), unless they are already in it."""
    if agent_id is None:
        return
    changed = s.execute(update(User).where(User.id == agent_id, User.status != status)
                        .values(status=status, status_since=at)).rowcount
    if changed:
        s.add(AgentStatusChange(user_id=agent_id, status=status, at=at))


def abandon_outcome(wait_s: float) -> str:
    return "short_abandon" if wait_s < settings.SHORT_ABANDON_S else "abandoned"


def waited(entry: QueueEntry, at: datetime) -> float:
    """Seconds in the queue since the caller joined it (METRICS.md), on our own clock.

    Not Twilio's QueueTime: it counts only the latest <Enqueue>
    (https://www.twilio.com/docs/voice/twiml/enqueue, "QueueTime"), and a caller put back in
    line after a missed adviser is enqueued again, keeping their place and their enqueued_at.
    """
    return max(0.0, (at - entry.enqueued_at).total_seconds())


def leave(s: Session, entry: QueueEntry, outcome: str, at: datetime) -> bool:
    """The caller left the line unanswered; False if an adviser claimed them first (no change)."""
    won = s.execute(update(QueueEntry).where(QueueEntry.id == entry.id, QueueEntry.status == "waiting")
                    .values(status="left", outcome=outcome, left_at=at)
                    .execution_options(synchronize_session=False)).rowcount == 1
    if won:
        s.refresh(entry)
    return won


def hung_up(s: Session, entry: QueueEntry, at: datetime) -> None:
    """The caller's line went dead: close the leg in whatever state it was in."""
    s.refresh(entry)
    if entry.status == "waiting":
        leave(s, entry, abandon_outcome(waited(entry, at)), at)
    elif entry.status == "connecting":  # the adviser's phone was still ringing: never connected
        entry.status, entry.outcome, entry.left_at = "left", abandon_outcome(waited(entry, at)), at
        move_agent(s, entry.agent_id, "available", at)
    elif entry.status == "connected":
        entry.status, entry.ended_at = "ended", at
        entry.outcome = entry.outcome or "answered"
        move_agent(s, entry.agent_id, "after_call", at)


def close_legs(call: Call, at: datetime) -> None:
    """The call ended: no leg of it may stay waiting, ringing or talking."""
    s = object_session(call)
    if s is None or call.id is None:
        return
    for entry in s.scalars(select(QueueEntry).where(QueueEntry.call_id == call.id,
                                                    QueueEntry.status.in_(OPEN))).all():
        hung_up(s, entry, at)


def queue_outcome(call: Call) -> str | None:
    """The call's outcome from its queue legs and callbacks (None: it never reached a queue)."""
    s = object_session(call)
    if s is None or call.id is None:
        return None
    outcomes = s.scalars(select(QueueEntry.outcome).where(QueueEntry.call_id == call.id)
                         .order_by(QueueEntry.id)).all()
    if "transferred" in outcomes:
        return "transferred"  # METRICS.md: the new leg is counted in its own queue
    has_callback = s.scalar(select(Callback.id).where(Callback.call_id == call.id).limit(1)) is not None
    if has_callback:
        return "callback"
    return next((o for o in reversed(outcomes) if o), None)
