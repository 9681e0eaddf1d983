"""The adviser report (METRICS.md, adviser metrics): handled calls, AHT, occupancy, transfers, callbacks.

Idle time comes from AgentStatusChange: each 'available' change lasts until the adviser's next
change (or the end of the period, or now). The change in force when the period starts is found
per adviser with one index lookup, so time already running at midnight is counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from callcenter.metrics import Filters, in_period, mean, rate, seconds_between
from db.models import AgentStatusChange, Call, Callback, QueueEntry, User

AGENT_FIGURES: dict[str, tuple[str, str, str]] = {
    "handled": ("Calls handled", "", "legs the adviser answered whose conversation has ended"),
    "aht_s": ("AHT", "s", "mean of handle time over handled calls; handle time = talk (answered_at → "
              "ended_at) + after-call work (ended_at → wrapped_at)"),
    "talk_s": ("Average talk", "s", "mean of (ended_at − answered_at) over handled calls"),
    "acw_s": ("Average after-call work", "s", "mean of (wrapped_at − ended_at) over handled calls"),
    "occupancy": ("Occupancy", "%", "handle time ÷ (handle time + available idle time) × 100; idle time "
                  "= time in status 'available' (AgentStatusChange) inside the period"),
    "idle_s": ("Available idle time", "s", "total time in status 'available' inside the period"),
    "transfers_out": ("Transfers out", "", "handled legs the adviser moved to another queue"),
    "callbacks_completed": ("Callbacks completed", "", "callbacks the adviser talked to the caller on "
                            "(status completed), for calls started in the period"),
}


def _handled(s: Session, f: Filters) -> dict[int, Any]:
    q = QueueEntry
    talk = seconds_between(q.ended_at, q.answered_at)
    acw = func.coalesce(seconds_between(q.wrapped_at, q.ended_at), 0.0)
    stmt = (select(q.agent_id, func.count().label("handled"), func.sum(talk).label("talk"),
                   func.sum(acw).label("acw"),
                   func.sum(case((q.outcome == "transferred", 1), else_=0)).label("transfers"))
            .where(in_period(q.enqueued_at, q.call_id, f), q.agent_id.is_not(None),
                   q.answered_at.is_not(None), q.ended_at.is_not(None))
            .group_by(q.agent_id))
    for col, value in ((q.queue, f.queue), (q.language, f.language), (q.intent, f.intent),
                       (q.agent_id, f.agent_id)):
        if value is not None:
            stmt = stmt.where(col == value)
    return {row.agent_id: row for row in s.execute(stmt)}


def _idle(s: Session, f: Filters, now: datetime) -> dict[int, float]:
    """Seconds each adviser spent 'available' between the period start and min(end, now)."""
    a = AgentStatusChange
    start, stop = f.start, min(f.end, now)
    if stop <= start:
        return {}
    # The change in force at the start: each adviser's last change before it.
    last_before = (select(a.user_id, func.max(a.at).label("at")).where(a.at < start)
                   .group_by(a.user_id).subquery())
    opening = (select(a.user_id, a.status, literal(start, a.at.type).label("at"))
               .join(last_before, and_(a.user_id == last_before.c.user_id, a.at == last_before.c.at)))
    inside = select(a.user_id, a.status, a.at).where(a.at >= start, a.at < stop)
    if f.agent_id is not None:
        opening, inside = opening.where(a.user_id == f.agent_id), inside.where(a.user_id == f.agent_id)
    changes = union_all(opening, inside).subquery()
    nxt = func.lead(changes.c.at).over(partition_by=changes.c.user_id, order_by=changes.c.at)
    spans = select(changes.c.user_id, changes.c.status, changes.c.at, nxt.label("until")).subquery()
    until = func.coalesce(spans.c.until, literal(stop, a.at.type))
    stmt = (select(spans.c.user_id, func.sum(seconds_between(until, spans.c.at)).label("idle"))
            .where(spans.c.status == "available").group_by(spans.c.user_id))
    return {row.user_id: float(row.idle or 0) for row in s.execute(stmt)}


def _callbacks(s: Session, f: Filters) -> dict[int, int]:
    cb = Callback
    stmt = (select(cb.agent_id, func.count()).join(Call, Call.id == cb.call_id)
            .where(Call.started_at >= f.start, Call.started_at < f.end, cb.status == "completed",
                   cb.agent_id.is_not(None)).group_by(cb.agent_id))
    if f.queue:
        stmt = stmt.where(cb.queue == f.queue)
    if f.agent_id is not None:
        stmt = stmt.where(cb.agent_id == f.agent_id)
    return dict(s.execute(stmt).all())


def agent_report(s: Session, f: Filters, now: datetime) -> dict[str, Any]:
    """One line per adviser who handled a call, completed a callback or was available."""
    handled, idle, callbacks = _handled(s, f), _idle(s, f, now), _callbacks(s, f)
    ids = sorted(set(handled) | set(callbacks) | {u for u, secs in idle.items() if secs > 0})
    names = dict(s.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    lines, total = [], {"handled": 0, "handle": 0.0, "idle": 0.0, "talk": 0.0, "acw": 0.0,
                        "transfers_out": 0, "callbacks_completed": 0}
    for uid in ids:
        row = handled.get(uid)
        n = int(row.handled) if row else 0
        talk, acw = (float(row.talk or 0), float(row.acw or 0)) if row else (0.0, 0.0)
        line = _figures(n, talk, acw, idle.get(uid, 0.0), int(row.transfers) if row else 0,
                        callbacks.get(uid, 0))
        lines.append({"agent_id": uid, "agent": names.get(uid, f"#{uid}"), **line})
        for key, value in (("handled", n), ("handle", talk + acw), ("talk", talk), ("acw", acw),
                           ("idle", idle.get(uid, 0.0)), ("transfers_out", line["transfers_out"]),
                           ("callbacks_completed", line["callbacks_completed"])):
            total[key] += value
    overall = _figures(int(total["handled"]), total["talk"], total["acw"], total["idle"],
                       int(total["transfers_out"]), int(total["callbacks_completed"]))
    return {"agents": lines, "total": overall, "formulas": {k: v[2] for k, v in AGENT_FIGURES.items()}}


def _figures(n: int, talk: float, acw: float, idle: float, transfers: int, callbacks: int) -> dict[str, Any]:
    handle = talk + acw
    return {"handled": n, "aht_s": mean(handle, n), "talk_s": mean(talk, n), "acw_s": mean(acw, n),
            "occupancy": rate(handle, handle + idle), "idle_s": round(idle), "transfers_out": transfers,
            "callbacks_completed": callbacks}
