"""Calls Twilio stopped telling us about: a caller on hold whose line dropped while neither the
queue's result nor the call's final status reached Jobline (the server was down at that moment,
a status callback was lost). Without this, such a caller would keep a place in line for ever,
count as waiting on the wallboard, and come first each time an adviser answers the next caller.

Twilio asks for the wait URL again whenever its document ends (about every 46 s here: 36 s of
hold music and the announcements), and the hold loop stamps the leg each time
(`queue_entries.seen_at`), so a waiting leg not seen for LOST_AFTER belongs to a call that is
over. The worker closes such legs every minute (`run.py worker`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from db.models import STATUS_RANK, QueueEntry, utcnow
from db.session import SessionLocal
from ivr import calls, legs

LOST_AFTER = timedelta(minutes=5)
LOST_BATCH = 500
SWEEP_INTERVAL_S = 60


def close_lost_legs(queues: Iterable[str], now: datetime | None = None) -> int:
    """Close the waiting legs not seen on hold for LOST_AFTER, and their calls; how many.

    Each leg is an abandon, left when the caller was last seen: never a short abandon, since
    nothing says they left that early. Its call ends then too (status completed, outcome from
    its legs: METRICS.md), unless it has ended already; a status callback arriving later still
    corrects the duration. `queues` are the flow's queues: naming them lets the
    (queue, status, ...) index seek.
    """
    now = now or utcnow()
    last_seen = func.coalesce(QueueEntry.seen_at, QueueEntry.enqueued_at)
    with SessionLocal.begin() as s:
        lost = s.scalars(select(QueueEntry).where(
            QueueEntry.queue.in_(list(queues)), QueueEntry.status == "waiting",
            last_seen < now - LOST_AFTER).order_by(QueueEntry.id).limit(LOST_BATCH)).all()
        closed = 0
        for entry in lost:
            at = entry.seen_at or entry.enqueued_at
            if not legs.leave(s, entry, "abandoned", at):
                continue  # an adviser claimed them a moment ago
            call = entry.call
            calls.event(call, "queue_lost", entry.queue, f"not on hold since {at:%Y-%m-%d %H:%M:%S} UTC")
            if call.ended_at is None:
                if STATUS_RANK.get(call.status, 0) < STATUS_RANK["completed"]:
                    call.status = "completed"
                calls.finish(call, at=at)
            closed += 1
    return closed


def register_cron(scheduler: Any, queue_name: str, queues: list[str]) -> None:
    """Run close_lost_legs every SWEEP_INTERVAL_S from an rq.cron.CronScheduler."""
    scheduler.register(close_lost_legs, queue_name, args=(queues,), interval=SWEEP_INTERVAL_S,
                       job_timeout=120, result_ttl=600, failure_ttl=7 * 24 * 3600)
