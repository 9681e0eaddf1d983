"""Where a report's figures come from: rollups for settled hours, raw rows for the rest.

Reports add up sums. The sums of every hour whose calls are over are kept in rollup tables
(db/models/rollups.py: queue_rollups, adviser_leg_rollups, adviser_rollups, ivr_rollups, written by
callcenter/reports/rollups/build.py), so a 30-day report adds up rollup rows (a few hundred per hour at
a million calls a month, instead of tens of thousands of raw rows) and runs a live query over
the raw rows of the last few hours only. Nothing is cached: every figure is as fresh as the
database, except that a change to an hour already rolled up (a late transcript, a status
written late) shows at the job's next run (rollup_build: every ten minutes, 48 hours back).

An hour is *settled* once no call that started in it can still be open, and SETTLE after it ends
(a margin for what is written after a call ends: its final status callback, its queue leg's
close). A call may last up to 24 hours at Twilio (MAX_CALL), so an hour with a call still open
is not settled until that call ends or 24 hours pass (then Twilio has ended it, even if its
final status never reached us); idle time,
from status changes that are only ever added, IDLE_SETTLE after it ends. The
split point of a period is the earlier of the settled edge and how far the rollups reach
(`rollup_state.rolled_until`); a rollup job that falls behind only makes the live part longer.
Rollups made with another service-level target than a queue has now are not used at all
(everything is read raw until the job has rebuilt them). True containment looks 24 h past each
call: the rollups count it as of the job's last run, and the report takes off the self-service
calls whose caller has called again since (ivr_metrics.repeats_since, a query over the calls
started since that run).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.reports.metrics import Filters
from db.models import Call
from db.models.rollups import RollupState

SETTLE = timedelta(hours=4)
# Twilio's longest call: 24 hours when the account allows it, 4 by default ("Introducing
# Configurable Call Limits for Programmable Voice",
# https://www.twilio.com/en-us/blog/introducing-configurable-call-limits-for-programmable-voice).
MAX_CALL = timedelta(hours=24)
# Advisers' status changes are only ever added, stamped when they happen: an hour of idle time is
# settled once it is over (with a margin for a request still writing).
IDLE_SETTLE = timedelta(minutes=5)


def floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def settled_before(s: Session, now: datetime) -> datetime:
    """Hours before this one are settled: every call started in them is over (ended, or older
    than MAX_CALL), and SETTLE has passed since they ended. One lookup on the started_at index,
    over the last MAX_CALL only."""
    edge = floor_hour(now - SETTLE)
    oldest_open = s.scalar(select(func.min(Call.started_at)).where(
        Call.started_at >= now - MAX_CALL, Call.started_at < edge, Call.ended_at.is_(None)))
    return min(edge, floor_hour(oldest_open)) if oldest_open is not None else edge


def idle_settled_before(now: datetime) -> datetime:
    return floor_hour(now - IDLE_SETTLE)


def targets_of(flow: object) -> dict[str, int]:
    """Each queue's service-level target T (s): the 'met' counts of the rollups depend on it."""
    return {name: q.service_level_s for name, q in getattr(flow, "queues", {}).items()}


@dataclass(frozen=True)
class Split:
    rolled: Filters | None  # the part of the period read from rollups
    live: Filters | None  # the part read from raw rows
    rolled_at: datetime | None  # when the rollup job last ran (true containment counts to then)
    idle_edge: datetime  # idle time: from rollups before this, from raw rows after


def split(s: Session, f: Filters, targets: dict[str, int] | None, now: datetime) -> Split:
    """Cut the period at the edge of what the rollups hold (see the module doc).

    `targets`: the queues' service-level targets now, for reports whose sums depend on them.
    """
    state = s.get(RollupState, 1)
    edge = idle_edge = f.start
    if state is not None and (targets is None or state.targets == targets):
        edge = max(f.start, min(state.rolled_until, settled_before(s, now), f.end))
        idle_edge = max(edge, min(state.idle_until, idle_settled_before(now), f.end))
    rolled = replace(f, since=f.start, until=edge) if edge > f.start else None
    live = replace(f, since=edge, until=f.end) if edge < f.end else None
    return Split(rolled, live, state.rolled_at if state is not None else None, idle_edge)


def raw(f: Filters) -> Split:
    """The whole period from raw rows (what the rollups are checked against)."""
    return Split(None, f, None, f.start)
