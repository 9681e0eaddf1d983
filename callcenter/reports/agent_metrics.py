"""The adviser report (METRICS.md, adviser metrics): handled calls, AHT, occupancy, transfers, callbacks.

Idle time comes from AgentStatusChange: each 'available' change lasts until the adviser's next
change (or the end of the period, or now). The change in force when the period starts (the
last one in the LOOKBACK before it) is carried in, so time already running at midnight counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from callcenter.reports.metrics import Filters, in_period, mean, rate, seconds_between
from callcenter.reports.offer_metrics import OFFER_FIGURES, ZERO, offer_sums, offer_total
from callcenter.reports.rollups.read import raw, split
from db.models import AgentStatusChange, Callback, QueueEntry, User
from db.models.rollups import AdviserLegRollup, AdviserRollup
from db.states import AdviserStatus, CallbackStatus, LegOutcome

# A status held this long with no change at all (no call, no break, no sign-out: the desk signs
# idle people out) is not carried into the period as idle time.
LOOKBACK = timedelta(days=2)
AGENT_FIGURES: dict[str, tuple[str, str, str]] = {
    "handled": ("Calls handled", "", "legs the adviser answered whose conversation has ended"),
    "aht_s": ("AHT", "s", "mean of handle time over handled calls; handle time = talk (answered_at → "
              "ended_at) + after-call work (ended_at → wrapped_at)"),
    "talk_s": ("Average talk", "s", "mean of (ended_at − answered_at) over handled calls"),
    "acw_s": ("Average after-call work", "s", "mean of (wrapped_at − ended_at) over handled calls"),
    "occupancy": ("Occupancy", "%", "handle time ÷ (handle time + available idle time) × 100; idle time "
                  "= time in status 'available' (AgentStatusChange) inside the period"),
    "idle_s": ("Available idle time", "h", "total time in status 'available' inside the period"),
    "transfers_out": ("Transfers out", "", "handled legs the adviser moved to another queue"),
    "callbacks_completed": ("Callbacks completed", "", "callbacks the adviser talked to the caller on "
                            "(status completed), for calls started in the period"),
    **OFFER_FIGURES,  # offer-mode queues (callcenter/reports/offer_metrics.py)
}


def _handled(s: Session, f: Filters) -> dict[int, Any]:
    q = QueueEntry
    talk = seconds_between(q.ended_at, q.answered_at)
    acw = func.coalesce(seconds_between(q.wrapped_at, q.ended_at), 0.0)
    stmt = (select(q.agent_id, func.count().label("handled"), func.sum(talk).label("talk"),
                   func.sum(acw).label("acw"),
                   func.sum(case((q.outcome == LegOutcome.TRANSFERRED, 1), else_=0)).label("transfers"))
            .where(in_period(q.enqueued_at, q.call_id, f), q.agent_id.is_not(None),
                   q.answered_at.is_not(None), q.ended_at.is_not(None))
            .group_by(q.agent_id))
    for col, value in ((q.queue, f.queue), (q.language, f.language), (q.intent, f.intent),
                       (q.agent_id, f.agent_id)):
        if value is not None:
            stmt = stmt.where(col == value)
    return {row.agent_id: row for row in s.execute(stmt)}


def idle_between(s: Session, start: datetime, stop: datetime,
                 agent_id: int | None = None) -> dict[int, float]:
    """Seconds each adviser spent 'available' between start and stop."""
    a = AgentStatusChange
    if stop <= start:
        return {}
    # The change in force at the start: each adviser's last change before it. Changes are ordered
    # by (at, id): a call answered the instant the last one was wrapped up gives two changes with
    # the same time, and only the order they were written in says which came last.
    last_before = (select(func.max(a.id).label("id")).where(a.at < start, a.at >= start - LOOKBACK)
                   .group_by(a.user_id))
    if agent_id is not None:
        last_before = last_before.where(a.user_id == agent_id)
    opening = (select(a.user_id, a.status, literal(start, a.at.type).label("at"), literal(0).label("id"))
               .where(a.id.in_(last_before.scalar_subquery())))
    inside = select(a.user_id, a.status, a.at, a.id).where(a.at >= start, a.at < stop)
    if agent_id is not None:
        opening, inside = opening.where(a.user_id == agent_id), inside.where(a.user_id == agent_id)
    changes = union_all(opening, inside).subquery()
    nxt = func.lead(changes.c.at).over(partition_by=changes.c.user_id,
                                       order_by=(changes.c.at, changes.c.id))
    spans = select(changes.c.user_id, changes.c.status, changes.c.at, nxt.label("until")).subquery()
    until = func.coalesce(spans.c.until, literal(stop, a.at.type))
    stmt = (select(spans.c.user_id, func.sum(seconds_between(until, spans.c.at)).label("idle"))
            .where(spans.c.status == AdviserStatus.AVAILABLE).group_by(spans.c.user_id))
    return {row.user_id: float(row.idle or 0) for row in s.execute(stmt)}


def _callbacks(s: Session, f: Filters) -> dict[int, int]:
    cb = Callback
    # Not rolled up (a callback is completed long after its call); requested_at is stamped during
    # the call, so the period reads one range of the (status, requested_at) index.
    stmt = (select(cb.agent_id, func.count())
            .where(cb.status == CallbackStatus.COMPLETED, in_period(cb.requested_at, cb.call_id, f),
                   cb.agent_id.is_not(None)).group_by(cb.agent_id))
    if f.queue:
        stmt = stmt.where(cb.queue == f.queue)
    if f.agent_id is not None:
        stmt = stmt.where(cb.agent_id == f.agent_id)
    return dict(s.execute(stmt).all())


def _rolled(s: Session, f: Filters, idle_end: datetime) -> tuple[dict[int, list[float]], dict[int, float]]:
    """Handled sums (to f.end) and idle time (to idle_end) per adviser from the rollups."""
    a = AdviserRollup
    handled: dict[int, list[float]] = {}
    idle: dict[int, float] = {}
    by_leg = bool(f.queue or f.language or f.intent)  # handled sums at the legs' grain

    def settled(col: Any) -> Any:
        return func.sum(case((a.hour < f.end, col), else_=0))

    stmt = (select(a.agent_id, settled(a.handled), settled(a.talk_sum), settled(a.acw_sum),
                   settled(a.transfers), func.sum(a.idle_s))
            .where(a.hour >= f.start, a.hour < idle_end).group_by(a.agent_id))
    if f.agent_id is not None:
        stmt = stmt.where(a.agent_id == f.agent_id)
    for uid, n, talk, acw, transfers, secs in s.execute(stmt):
        idle[uid] = float(secs or 0)
        if n and not by_leg:
            handled[uid] = [int(n), float(talk or 0), float(acw or 0), int(transfers or 0)]
    if by_leg:
        t = AdviserLegRollup
        # Every adviser: read the period's range of the table; agent_id + 0 keeps SQLite from
        # skip-scanning the (agent_id, hour) index to save a sort (ten times slower). One adviser:
        # that index.
        uid = t.agent_id if f.agent_id is not None else (t.agent_id + 0).label("agent_id")
        stmt = (select(uid, func.sum(t.handled), func.sum(t.talk_sum), func.sum(t.acw_sum),
                       func.sum(t.transfers)).where(t.hour >= f.start, t.hour < f.end).group_by(uid))
        for col, value in ((t.queue, f.queue), (t.language, f.language), (t.intent, f.intent),
                           (t.agent_id, f.agent_id)):
            if value is not None:
                stmt = stmt.where(col == value)
        handled = {uid: [int(n), float(talk or 0), float(acw or 0), int(tr or 0)]
                   for uid, n, talk, acw, tr in s.execute(stmt) if n}
    return handled, idle


def agent_parts(s: Session, f: Filters, now: datetime, rollups: bool = True) -> list[dict[str, Any]]:
    """Per-adviser sums as plain data: rollups for settled hours, raw rows for the rest."""
    cut = split(s, f, None, now) if rollups else raw(f)
    parts: list[dict[str, Any]] = [{"handled": {}, "idle": {}, "callbacks": _callbacks(s, f)}]
    if cut.rolled or cut.idle_edge > f.start:  # idle time is rolled up further than calls
        handled, idle = _rolled(s, cut.rolled or replace(f, since=f.start, until=f.start), cut.idle_edge)
        parts.append({"handled": handled, "idle": idle, "callbacks": {}})
    if cut.live:
        live, idle_from = cut.live, max(cut.live.start, cut.idle_edge)
        parts.append({"handled": {uid: [int(r.handled), float(r.talk or 0), float(r.acw or 0),
                                        int(r.transfers or 0)] for uid, r in _handled(s, live).items()},
                      "idle": idle_between(s, idle_from, min(live.end, now), live.agent_id),
                      "callbacks": {}})
    return parts


def agent_report(s: Session, f: Filters, now: datetime, rollups: bool = True) -> dict[str, Any]:
    """One line per adviser who handled a call, completed a callback or was available."""
    parts = agent_parts(s, f, now, rollups)
    handled: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0])
    idle: dict[int, float] = defaultdict(float)
    callbacks: dict[int, int] = defaultdict(int)
    for part in parts:
        for uid, values in part["handled"].items():
            handled[uid] = [a + b for a, b in zip(handled[uid], values, strict=True)]
        for uid, secs in part["idle"].items():
            idle[uid] += secs
        for uid, n in part["callbacks"].items():
            callbacks[uid] += n
    offers = offer_sums(s, f, "agent")
    ids = sorted(set(handled) | set(callbacks) | set(offers) | {u for u, secs in idle.items() if secs > 0})
    names = dict(s.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    lines, total = [], {"handled": 0, "talk": 0.0, "acw": 0.0, "idle": 0.0, "transfers_out": 0,
                        "callbacks_completed": 0}
    for uid in ids:
        n, talk, acw, transfers = handled[uid] if uid in handled else (0, 0.0, 0.0, 0)
        line = _figures(int(n), talk, acw, idle[uid], int(transfers), callbacks[uid])
        lines.append({"agent_id": uid, "agent": names.get(uid, f"#{uid}"), **line,
                      **(offers[uid] if uid in offers else ZERO)})
        for key, value in (("handled", n), ("talk", talk), ("acw", acw), ("idle", idle[uid]),
                           ("transfers_out", transfers), ("callbacks_completed", callbacks[uid])):
            total[key] += value
    overall = _figures(int(total["handled"]), total["talk"], total["acw"], total["idle"],
                       int(total["transfers_out"]), int(total["callbacks_completed"]))
    return {"agents": lines, "total": {**overall, **offer_total(offers)},
            "formulas": {k: v[2] for k, v in AGENT_FIGURES.items()}}


def _figures(n: int, talk: float, acw: float, idle: float, transfers: int, callbacks: int) -> dict[str, Any]:
    handle = talk + acw
    return {"handled": n, "aht_s": mean(handle, n), "talk_s": mean(talk, n), "acw_s": mean(acw, n),
            "occupancy": rate(handle, handle + idle), "idle_s": round(idle), "transfers_out": transfers,
            "callbacks_completed": callbacks}
