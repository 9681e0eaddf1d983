"""Calls Twilio stopped telling us about: a caller on hold whose line dropped while neither the
queue's result nor the call's final status reached Jobline (the server was down at that moment,
a status callback was lost). Without this, such a caller would keep a place in line for ever,
count as waiting on the wallboard, and come first each time an adviser answers the next caller.

Twilio asks for the wait URL again whenever its document ends (about every 46 s here: 36 s of
hold music and the announcements), and the hold loop stamps the leg each time
(`queue_entries.seen_at`), so a waiting leg not seen for LOST_AFTER belongs to a call that is
over. The worker closes such legs every minute (`run.py worker`), and ends their calls at
Twilio too (REST, Status=completed: ivr/queue/hangup.py), in case the caller is in fact still holding.

A call lost before it reached a queue (in the menus, leaving a message) is closed the same way
once it has been silent for an hour, every ten minutes, and ended at Twilio the same way:
otherwise it would stay in progress, without an outcome, in the IVR report. And a callback try
still ringing after five minutes is a failed try, so its adviser is not kept reserved for ever.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select

from config import settings
from db.models import Call, Callback, CallEvent, QueueEntry, utcnow
from db.session import SessionLocal
from db.states import LEG_OPEN, STATUS_RANK, CallbackStatus, CallStatus, LegOutcome, LegStatus
from ivr import calls
from ivr.queue import hangup, legs
from ivr.queue.callback_calls import attempt_failed

LOST_AFTER = timedelta(minutes=5)
LOST_BATCH = 500
SWEEP_INTERVAL_S = 60
# A call in the menus is never silent this long; one on hold or talking to an adviser can be,
# so those are left alone.
SILENT_AFTER = timedelta(hours=1)
LOOK_BACK = timedelta(days=3)
SILENT_SWEEP_INTERVAL_S = 600


def close_lost_legs(queues: Iterable[str], now: datetime | None = None,
                    config: Mapping[str, Any] | None = None) -> int:
    """Close the waiting legs not seen on hold for LOST_AFTER, and their calls; how many.

    Each leg is an abandon, left when the caller was last seen: never a short abandon, since
    nothing says they left that early. Its call ends then too (status completed, outcome from
    its legs: METRICS.md), unless it has ended already, and, once committed, is ended at Twilio
    (`config`: the account, default the environment's); a status callback arriving later still
    corrects the duration. `queues` are the flow's queues: naming them lets the
    (queue, status, ...) index seek.
    """
    now = now or utcnow()
    last_seen = func.coalesce(QueueEntry.seen_at, QueueEntry.enqueued_at)
    ended: list[str] = []
    with SessionLocal.begin() as s:
        lost = s.scalars(select(QueueEntry).where(
            QueueEntry.queue.in_(list(queues)), QueueEntry.status == LegStatus.WAITING,
            last_seen < now - LOST_AFTER).order_by(QueueEntry.id).limit(LOST_BATCH)).all()
        closed = 0
        for entry in lost:
            at = entry.seen_at or entry.enqueued_at
            if not legs.leave(s, entry, LegOutcome.ABANDONED, at):
                continue  # an adviser claimed them a moment ago
            call = entry.call
            calls.event(call, "queue_lost", entry.queue, f"not on hold since {at:%Y-%m-%d %H:%M:%S} UTC")
            if call.ended_at is None:
                _end(call, at)
                ended.append(call.sid)
            closed += 1
    hangup.end_calls(ended, config)
    return closed


def close_silent_calls(now: datetime | None = None, config: Mapping[str, Any] | None = None) -> int:
    """Close the calls whose final status never came and that have long been silent; how many.

    A caller in the menus makes a webhook every few seconds, so a call with no step for
    SILENT_AFTER, not on hold (close_lost_legs watches those) and not talking to an adviser, is
    over: it ends at its last step, status completed, its outcome from its steps and
    legs (METRICS.md; an IVR hang-up if it never reached an end), and is ended at Twilio once
    committed (`config` as for close_lost_legs). Only calls started within LOOK_BACK are read
    (a bounded range of the started_at index); a status callback arriving later still corrects
    the duration.
    """
    now = now or utcnow()
    # On hold (close_lost_legs watches those) or with an adviser: not ours to close. One lookup
    # a candidate on the call_id index.
    in_line = exists().where(QueueEntry.call_id == Call.id,
                             QueueEntry.status.in_(LEG_OPEN))
    ended: list[str] = []
    with SessionLocal.begin() as s:
        open_calls = s.scalars(select(Call).where(
            Call.started_at.between(now - LOOK_BACK, now - SILENT_AFTER), Call.ended_at.is_(None),
            ~in_line).order_by(Call.id).limit(LOST_BATCH)).all()
        closed = 0
        for call in open_calls:
            last = s.scalar(select(func.max(CallEvent.at)).where(CallEvent.call_id == call.id))
            last = max(last or call.started_at, call.started_at)
            if now - last < SILENT_AFTER:
                continue
            calls.event(call, "status_lost", None, f"silent since {last:%Y-%m-%d %H:%M:%S} UTC")
            _end(call, last)
            ended.append(call.sid)
            closed += 1
    hangup.end_calls(ended, config)
    return closed


def _end(call: Call, at: datetime) -> None:
    """End a call whose final status never came: completed (never moved backwards), at `at`,
    with its outcome from its steps and legs."""
    if STATUS_RANK.get(call.status, 0) < STATUS_RANK[CallStatus.COMPLETED]:
        call.status = CallStatus.COMPLETED
    calls.finish(call, at=at)


def close_lost_callback_tries(now: datetime | None = None) -> int:
    """Fail the callback tries still ringing after LOST_AFTER; how many.

    A try rings for 25 s and asks for 1 twice, so one still "dialing" minutes later is over and
    its status callback was lost. Without this, its adviser would stay reserved (busy, and the
    desk showing "Calling the caller back…") for ever. The try counts as failed: the callback is
    tried again later, or fails after its last attempt, as for a try no one answered.
    """
    now = now or utcnow()
    with SessionLocal.begin() as s:
        stuck = s.scalars(select(Callback).where(
            Callback.status == CallbackStatus.DIALING, Callback.last_attempt_at < now - LOST_AFTER)
            .order_by(Callback.id).limit(LOST_BATCH)).all()
        for callback in stuck:
            attempt_failed(s, callback, now, settings.CALLBACK_MAX_ATTEMPTS, "lost")
    return len(stuck)


def register_cron(scheduler: Any, queue_name: str, queues: list[str],
                  housekeeping_queue: str | None = None) -> None:
    """Run close_lost_legs and close_lost_callback_tries every SWEEP_INTERVAL_S, and
    close_silent_calls every SILENT_SWEEP_INTERVAL_S, from an rq.cron.CronScheduler; the last,
    which no caller waits for, on `housekeeping_queue` when given."""
    scheduler.register(close_lost_legs, queue_name, args=(queues,), interval=SWEEP_INTERVAL_S,
                       job_timeout=120, result_ttl=600, failure_ttl=7 * 24 * 3600)
    scheduler.register(close_lost_callback_tries, queue_name, interval=SWEEP_INTERVAL_S,
                       job_timeout=120, result_ttl=600, failure_ttl=7 * 24 * 3600)
    scheduler.register(close_silent_calls, housekeeping_queue or queue_name, interval=SILENT_SWEEP_INTERVAL_S,
                       job_timeout=300, result_ttl=600, failure_ttl=7 * 24 * 3600)
