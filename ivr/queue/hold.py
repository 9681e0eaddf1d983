"""The hold loop behind <Enqueue waitUrl>: where the caller is in line and how long it will be.

Twilio requests the wait URL for every caller on hold, again each time its document ends, so
this is the hottest path of the helpdesk: one indexed query per request (the leg and its
position) and one indexed write (the leg was seen: ivr/queue/lost_calls.py closes the legs of callers
no longer seen), with the slow-moving figures (advisers on duty, recent handle time) cached per
process for a few seconds.

METRICS.md: expected wait = position x recent mean handle time / max(1, advisers available or
busy on that queue), announced as "about N minutes", rounded up.

Place and wait are said when they change, and again after a few quiet loops, as contact centres
do: the caller is not told "number 3 in line" every 40 seconds while nothing moves. What was
last said travels in the hold loop's own URL (`Heard`), as the menus carry their state: the
wait document ends with a <Redirect> to the wait URL with it, and Twilio signs that URL.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import Connection, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from db.advisers import serving
from db.models import Call, Callback, CallEvent, QueueEntry
from db.states import CALLBACK_IN_LINE, ON_DUTY, CallbackStatus, LegStatus

DEFAULT_HANDLE_S = 300  # no history yet: five minutes a call is the helpdesk's planning figure
HANDLE_SAMPLE = 50  # "recent": the last 50 conversations of the queue
STATS_TTL_S = 10.0
QUIET_LOOPS = 4  # loops (about 40 s each) without news before place and wait are said again
MAX_PLACE = 100_000  # larger values in a (signed) URL are not ours: treated as nothing said
HOLD_AUDIO = "hold.wav"  # in ivr/static/, served by ivr/views/queue.py `media`
LEAVE_EVENT = "queue_leave"  # why the hold loop let a caller out: callback, timeout, closed


def hold_audio_url() -> str:
    """The calm music between announcements (and all a caller hears when a hold step failed)."""
    return url_for("ivr_queue.static", filename=HOLD_AUDIO)


def let_out(s: Session, w: Waiter, why: str) -> None:
    """The hold loop lets the caller out of Twilio's queue (<Leave>); the <Enqueue> action that
    follows reads why (`why_let_out`) to say the right thing."""
    s.add(CallEvent(call_id=w.call_id, kind=LEAVE_EVENT, node=w.queue, detail=why))


def why_let_out(s: Session, call_id: int | None) -> str | None:
    """The latest reason the hold loop let this call out, if any."""
    return s.scalar(select(CallEvent.detail)
                    .where(CallEvent.call_id == call_id, CallEvent.kind == LEAVE_EVENT)
                    .order_by(CallEvent.id.desc()).limit(1))


@dataclass(frozen=True)
class Waiter:
    """What the hold loop needs about one leg, and how many are ahead of it, read in one query."""

    id: int
    call_id: int
    status: str
    queue: str
    language: str | None
    priority: int
    enqueued_at: datetime
    slow_speech: bool
    ahead: int = 0

    @property
    def position(self) -> int:
        return self.ahead + 1


@dataclass(frozen=True)
class Heard:
    """What the caller last heard of their place and wait, and how many loops ago.

    Parsed from the hold loop's query string; the first request (the bare wait URL) has none,
    so the caller always hears place and wait on joining the line.
    """

    position: int = 0
    minutes: int = 0
    quiet: int = 0

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Heard:
        values = [str(args.get(k, "")) for k in ("p", "m", "q")]
        if not all(v.isascii() and v.isdigit() and len(v) <= 6 for v in values):
            return cls()
        position, minutes, quiet = (int(v) for v in values)
        return cls(position, minutes, quiet) if position <= MAX_PLACE else cls()

    def due(self, position: int, minutes: int) -> bool:
        """Say place and wait now: first loop, news, or enough quiet loops since."""
        return (self.position, self.minutes) != (position, minutes) or self.quiet >= QUIET_LOOPS

    def after(self, position: int, minutes: int, said: bool) -> dict[str, int]:
        """The query string of the next loop."""
        if said:
            return {"p": position, "m": minutes, "q": 0}
        return {"p": self.position, "m": self.minutes, "q": self.quiet + 1}


def _ahead_of(model: type[QueueEntry] | type[Callback], me, statuses: tuple[str, ...], leg_id):
    """Rows of `model` in the same queue as leg `me`, served first (priority, arrival, then leg).

    The queue, not the queue and language: METRICS.md's announced wait is per queue, and every
    column tested here is in the (queue, status, priority, enqueued_at) index, so the count
    never reads the table.
    """
    return and_(
        model.queue == me.queue,
        or_(*(model.status == status for status in statuses)),  # no expanding IN: compiled once
        or_(model.priority > me.priority,
            and_(model.priority == me.priority, model.enqueued_at < me.enqueued_at),
            and_(model.priority == me.priority, model.enqueued_at == me.enqueued_at, leg_id < me.id)),
    )


def _waiter_query():
    """Built once: the leg, its call's speech rate, and the callers and kept callbacks ahead.

    Correlated counts walk ix_queue_entries_waiting / ix_callbacks_waiting (queue, status, ...).
    Building a statement per request costs more than running it, hence the bound parameter.
    """
    me = aliased(QueueEntry, name="me")
    other = aliased(QueueEntry, name="other")
    live = (select(func.count()).select_from(other)
            .where(_ahead_of(other, me, (LegStatus.WAITING,), other.id)).correlate(me).scalar_subquery())
    kept = (select(func.count()).select_from(Callback)
            .where(_ahead_of(Callback, me, CALLBACK_IN_LINE, Callback.queue_entry_id))
            .correlate(me).scalar_subquery())
    return (select(me.id, me.call_id, me.status, me.queue, me.language, me.priority, me.enqueued_at,
                   Call.slow_speech, live + kept)
            .join(Call, Call.id == me.call_id).where(me.id == bindparam("leg")))


WAITER = _waiter_query()


def waiter(conn: Connection, entry_id: int) -> Waiter | None:
    """Read on a bare connection: no ORM session or identity map for a read-only poll."""
    row = conn.execute(WAITER, {"leg": entry_id}).first()
    return Waiter(*row) if row else None


_SEEN = (update(QueueEntry).where(QueueEntry.id == bindparam("leg"), QueueEntry.status == LegStatus.WAITING)
         .values(seen_at=bindparam("now")))


def mark_seen(conn: Connection, entry_id: int, now: datetime) -> None:
    """The caller is still on hold: Twilio asked for the wait URL (ivr/queue/lost_calls.py)."""
    conn.execute(_SEEN, {"leg": entry_id, "now": now})
    conn.commit()


def position_of_callback(s: Session, queue: str, language: str | None, priority: int,
                         enqueued_at: datetime, leg_id: int | None) -> int:
    """The place in line of a callback just booked (the callers and callbacks still ahead)."""
    me = Waiter(id=leg_id or 2**31 - 1, call_id=0, status=CallbackStatus.PENDING, queue=queue,
                language=language, priority=priority, enqueued_at=enqueued_at, slow_speech=False)
    live = select(func.count()).select_from(QueueEntry).where(
        _ahead_of(QueueEntry, me, (LegStatus.WAITING,), QueueEntry.id)).scalar_subquery()
    kept = select(func.count()).select_from(Callback).where(
        _ahead_of(Callback, me, CALLBACK_IN_LINE, Callback.queue_entry_id)).scalar_subquery()
    return s.execute(select(live + kept)).scalar_one() + 1


class QueueStats:
    """Advisers on duty on a queue and its recent mean handle time, cached briefly.

    Monotonic time, not the app clock: tests freeze the clock, and a cache must still expire.
    """

    def __init__(self, ttl_s: float = STATS_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, int, float]] = {}

    def get(self, session: Callable[[], Session], queue: str) -> tuple[int, float]:
        hit = self._cache.get(queue)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1], hit[2]
        s = session()
        advisers = sum(1 for u in serving(s, queue, None) if u.status in ON_DUTY)
        handle = mean_handle_s(s, queue)
        with self._lock:
            self._cache[queue] = (time.monotonic(), advisers, handle)
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
