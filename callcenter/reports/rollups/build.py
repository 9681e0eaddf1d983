"""Writing the report rollups: `roll_up()` and the worker's timed job `roll_up_reports`.

Each run recomputes whole hours (call-start hours, UTC): it deletes the rollup rows of the hours
it covers and inserts them again from the raw rows, in one transaction, so running it twice
changes nothing and never counts a call twice. It covers every hour from RECHECK before the
last edge up to the settled edge (rollups.settled_before), so

- new hours are added as they settle (the job runs every INTERVAL_S; reports read what is not
  rolled up yet from raw rows, so a late job makes reports slower, never stale);
- a late change to a call up to RECHECK (two days) old, such as a transcript finished or a
  status callback arriving late, is picked up at the next run; older changes need a rebuild
  (`python run.py rollups --rebuild`; seed-demo rebuilds after adding traffic);
- a change of a queue's service-level target rebuilds everything (the 'met' counts use it).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal_column, or_, select, text
from sqlalchemy.orm import Session

from callcenter.reports.agent_metrics import idle_between
from callcenter.reports.ivr_metrics import truly_contained
from callcenter.reports.metrics import hour_start, seconds_between
from callcenter.reports.queue_metrics import leg_measures
from callcenter.reports.rollups.read import floor_hour, idle_settled_before, settled_before, targets_of
from db.models import AgentStatusChange, Call, CallEvent, Capture, QueueEntry, Recording
from db.models.rollups import AdviserLegRollup, AdviserRollup, IvrRollup, QueueRollup, RollupState
from db.states import CallOutcome, CaptureStatus, LegOutcome, RecordingStatus

log = logging.getLogger(__name__)
RECHECK = timedelta(hours=48)
INTERVAL_S = 600
EMPTY = literal_column("''")  # a dimension with no value ('' rather than NULL: part of the key)


def roll_up(s: Session, flow: Any, now: datetime, rebuild: bool = False) -> tuple[datetime, datetime] | None:
    """Recompute the rollups of the hours due (see the module doc); the caller commits.

    Returns the hours covered [from, to), or None when there was nothing to do.
    """
    targets, edge, idle_edge = targets_of(flow), settled_before(s, now), idle_settled_before(now)
    # Every worker runs the timed job: on PostgreSQL a second run waits here for the first to
    # commit, then recomputes the same hours (SQLite lets one writer in at a time anyway).
    state = s.get(RollupState, 1, with_for_update=True)
    if state is None or rebuild or state.targets != targets:
        # from the first call or the first status change (an adviser may be available before it)
        firsts = [s.scalar(select(func.min(Call.started_at))),
                  s.scalar(select(func.min(AgentStatusChange.at)))]
        start = floor_hour(min(t for t in firsts if t is not None)) if any(firsts) else edge
    else:
        start = min(state.rolled_until, edge) - RECHECK
    if state is None:
        state = RollupState(id=1, rolled_until=edge, idle_until=idle_edge, rolled_at=now, targets=targets)
        s.add(state)
    covered = None
    if start < edge:
        _rebuild(s, flow, start, edge, idle_edge)
        covered = (start, edge)
        if start < edge - 2 * RECHECK:  # built from scratch: the planner must know the new tables' size
            for table in (QueueRollup, AdviserLegRollup, AdviserRollup, IvrRollup):
                s.execute(text(f"ANALYZE {table.__tablename__}"))
    state.rolled_until, state.idle_until, state.rolled_at, state.targets = edge, idle_edge, now, targets
    s.flush()
    return covered


def _rebuild(s: Session, flow: Any, start: datetime, end: datetime, idle_end: datetime) -> None:
    for table in (QueueRollup, AdviserLegRollup, IvrRollup):
        s.execute(delete(table).where(table.hour >= start, table.hour < end))
    s.execute(delete(AdviserRollup).where(AdviserRollup.hour >= start, AdviserRollup.hour < idle_end))
    _legs(s, flow, start, end)
    _advisers(s, start, end, idle_end)
    _ivr(s, start, end)


def _legs(s: Session, flow: Any, start: datetime, end: datetime) -> None:
    q, c = QueueEntry, Call
    handled = and_(q.agent_id.is_not(None), q.answered_at.is_not(None), q.ended_at.is_not(None))
    sums = [*(func.coalesce(m.element, 0).label(m.name) for m in leg_measures(flow)),
            func.sum(case((handled, 1), else_=0)).label("handled"),
            func.sum(case((handled, seconds_between(q.ended_at, q.answered_at)),
                          else_=0.0)).label("talk_sum"),
            func.sum(case((handled, func.coalesce(seconds_between(q.wrapped_at, q.ended_at), 0.0)),
                          else_=0.0)).label("acw_sum"),
            func.sum(case((and_(handled, q.outcome == LegOutcome.TRANSFERRED), 1), else_=0))
            .label("transfers")]
    names = [col.name for col in sums]
    dims = [hour_start(c.started_at), hour_start(q.enqueued_at), q.queue,
            func.coalesce(q.language, EMPTY), func.coalesce(q.intent, EMPTY)]
    period = (c.started_at >= start, c.started_at < end)
    legs = select(*dims, *sums).select_from(q).join(c, c.id == q.call_id).where(*period).group_by(*dims)
    s.execute(insert(QueueRollup).from_select(["hour", "leg_hour", "queue", "language", "intent", *names],
                                              legs))
    by_adviser = (select(*dims[:2], q.agent_id, *dims[2:], *sums).select_from(q).join(c, c.id == q.call_id)
                  .where(*period, q.agent_id.is_not(None)).group_by(*dims, q.agent_id))
    s.execute(insert(AdviserLegRollup).from_select(
        ["hour", "leg_hour", "agent_id", "queue", "language", "intent", *names], by_adviser))


def _advisers(s: Session, start: datetime, end: datetime, idle_end: datetime) -> None:
    """Per adviser and hour: handled sums (from adviser_leg_rollups) and idle time, one row.

    Idle time reaches idle_end, past the settled edge: those hours' handled sums are 0 until
    they settle (the report reads handled sums up to the edge only). Each hour carries in the
    status in force at its start as a report of that hour would (agent_metrics.LOOKBACK), so the
    one case where hours add up differently from a whole period read raw is an adviser left
    'available' for more than LOOKBACK (two days) with no change at all, which the desk's
    sign-out of idle sessions prevents.
    """
    a = AdviserLegRollup
    rows: dict[tuple[datetime, int], dict[str, Any]] = {}

    def row(hour: datetime, uid: int) -> dict[str, Any]:
        return rows.setdefault((hour, uid), {"hour": hour, "agent_id": uid, "handled": 0, "talk_sum": 0.0,
                                             "acw_sum": 0.0, "transfers": 0, "idle_s": 0.0})

    for hour, uid, n, talk, acw, transfers in s.execute(
            select(a.hour, a.agent_id, func.sum(a.handled), func.sum(a.talk_sum), func.sum(a.acw_sum),
                   func.sum(a.transfers)).where(a.hour >= start, a.hour < end).group_by(a.hour, a.agent_id)):
        row(hour, uid).update(handled=n, talk_sum=talk, acw_sum=acw, transfers=transfers)
    hour = start
    while hour < idle_end:  # idle time by the hour it was spent in, each hour as the report reads one
        nxt = hour + timedelta(hours=1)
        for uid, secs in idle_between(s, hour, nxt).items():
            if secs > 0:
                row(hour, uid)["idle_s"] = secs
        hour = nxt
    if rows:
        s.execute(insert(AdviserRollup), list(rows.values()))


def _ivr(s: Session, start: datetime, end: datetime) -> None:
    c = Call
    dims = [hour_start(c.started_at), func.coalesce(c.language, EMPTY), func.coalesce(c.reason, EMPTY)]
    period = (c.started_at >= start, c.started_at < end)
    cols = ["hour", "language", "reason", "kind", "key", "n", "m"]

    def put(kind: str, key: Any, n: Any, m: Any, *where: Any, join: Any = None) -> None:
        stmt = select(*dims, literal_column(f"'{kind}'"), key, n, m)
        if join is not None:
            stmt = stmt.join(join[0], join[1])
        keys = [*dims, key] if key is not EMPTY else dims  # PostgreSQL refuses GROUP BY ''
        s.execute(insert(IvrRollup).from_select(cols, stmt.where(*period, *where).group_by(*keys)))

    put("outcome", func.coalesce(c.outcome, EMPTY), func.count(), func.sum(truly_contained(c)))
    e = CallEvent
    put("entered", e.node, func.count(func.distinct(e.call_id)), literal_column("0"),
        e.kind == "enter", e.node.is_not(None), e.node != "", join=(e, e.call_id == c.id))
    put("left", c.node, func.count(), literal_column("0"),
        c.outcome == CallOutcome.IVR_HANGUP, c.node.is_not(None), c.node != "")
    cap = Capture
    put("capture", cap.field, func.count(),
        func.sum(case((cap.status == CaptureStatus.CAPTURED, 1), else_=0)), join=(cap, cap.call_id == c.id))
    r = Recording
    # "transcribed" still counts once retention or erasure cleared the text (speech/retention.py)
    has_text = or_(and_(r.text.is_not(None), r.text != ""), r.status == RecordingStatus.TRANSCRIBED)
    put("recording", EMPTY, func.count(), func.sum(case((has_text, 1), else_=0)), join=(r, r.call_id == c.id))


def roll_up_reports(rebuild: bool = False) -> str:
    """The worker's timed job: roll up what has settled (no arguments, safe to run twice)."""
    from config import settings
    from config.flow import load_flow
    from db import session as db

    flow = load_flow(settings.IVR_FILE)
    with db.SessionLocal.begin() as s:
        covered = roll_up(s, flow, datetime.now(UTC), rebuild)
    message = (f"rolled up {covered[0]:%Y-%m-%d %H}:00 to {covered[1]:%Y-%m-%d %H}:00 UTC" if covered
               else "nothing to roll up")
    log.info("report rollups: %s", message)
    return message


def register_cron(scheduler: Any, queue_name: str) -> None:
    """Run roll_up_reports every INTERVAL_S from an rq.cron.CronScheduler."""
    scheduler.register(roll_up_reports, queue_name, interval=INTERVAL_S, job_timeout=1800, result_ttl=3600,
                       failure_ttl=7 * 24 * 3600)
