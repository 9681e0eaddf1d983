"""The hold loop behind <Enqueue waitUrl>: where the caller is in line and how long it will be.

Twilio requests the wait URL for every caller on hold, again each time its document ends, so
this is the hottest path of the helpdesk: two indexed queries per request (the leg, then its
position), with the slow-moving figures (advisers on duty, recent handle time) cached per
process for a few seconds.

METRICS.md: expected wait = position x recent mean handle time / max(1, advisers available or
busy on that queue), announced as "about N minutes", rounded up.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from db.models import Call, Callback, QueueEntry
from ivr.legs import ON_DUTY, advisers_on

DEFAULT_HANDLE_S = 300  # no history yet: five minutes a call is the helpdesk's planning figure
HANDLE_SAMPLE = 50  # "recent": the last 50 conversations of the queue
STATS_TTL_S = 10.0
WAITING_CALLBACK = ("pending", "dialing")


@dataclass(frozen=True)
class Waiter:
    """What the hold loop needs about one leg, read in one query."""

    id: int
    call_id: int
    status: str
    queue: str
    language: str | None
    priority: int
    enqueued_at: datetime
    slow_speech: bool


def waiter(s: Session, entry_id: int) -> Waiter | None:
    row = s.execute(
        select(QueueEntry.id, QueueEntry.call_id, QueueEntry.status, QueueEntry.queue, QueueEntry.language,
               QueueEntry.priority, QueueEntry.enqueued_at, Call.slow_speech)
        .join(Call, Call.id == QueueEntry.call_id).where(QueueEntry.id == entry_id)
    ).first()
    return Waiter(*row) if row else None


def _ahead(model: type[QueueEntry] | type[Callback], w: Waiter, statuses: tuple[str, ...], leg_id):
    """Rows of `model` in the same line, served before this caller (priority, arrival, then leg)."""
    return and_(
        model.queue == w.queue,
        model.status.in_(statuses),
        model.language == w.language if w.language is not None else model.language.is_(None),
        or_(model.priority > w.priority,
            and_(model.priority == w.priority, model.enqueued_at < w.enqueued_at),
            and_(model.priority == w.priority, model.enqueued_at == w.enqueued_at, leg_id < w.id)),
    )


def position(s: Session, w: Waiter) -> int:
    """1 for the next caller served: live callers and kept-place callbacks ahead, plus one."""
    live = select(func.count()).select_from(QueueEntry).where(
        _ahead(QueueEntry, w, ("waiting",), QueueEntry.id)).scalar_subquery()
    kept = select(func.count()).select_from(Callback).where(
        _ahead(Callback, w, WAITING_CALLBACK, Callback.queue_entry_id)).scalar_subquery()
    ahead_live, ahead_kept = s.execute(select(live, kept)).one()
    return ahead_live + ahead_kept + 1


class QueueStats:
    """Advisers on duty and recent mean handle time per (queue, language), cached briefly.

    Monotonic time, not the app clock: tests freeze the clock, and a cache must still expire.
    """

    def __init__(self, ttl_s: float = STATS_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str | None], tuple[float, int, float]] = {}

    def get(self, s: Session, queue: str, language: str | None) -> tuple[int, float]:
        key = (queue, language)
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1], hit[2]
        advisers = sum(1 for u in advisers_on(s, queue, language) if u.status in ON_DUTY)
        handle = mean_handle_s(s, queue)
        with self._lock:
            self._cache[key] = (time.monotonic(), advisers, handle)
        return advisers, handle

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def mean_handle_s(s: Session, queue: str) -> float:
    """Mean handle time (talk + after-call work) of the queue's recent conversations."""
    rows = s.execute(
        select(QueueEntry.answered_at, QueueEntry.ended_at, QueueEntry.wrapped_at)
        .where(QueueEntry.queue == queue, QueueEntry.ended_at.is_not(None),
               QueueEntry.answered_at.is_not(None))
        .order_by(QueueEntry.ended_at.desc()).limit(HANDLE_SAMPLE)
    ).all()
    spans = [((wrapped or ended) - answered).total_seconds() for answered, ended, wrapped in rows]
    spans = [x for x in spans if x > 0]
    return sum(spans) / len(spans) if spans else DEFAULT_HANDLE_S


def expected_minutes(position: int, handle_s: float, advisers: int) -> int:
    """'About N minutes', rounded up, never less than one."""
    return max(1, math.ceil(position * handle_s / max(1, advisers) / 60))
