"""The queue report (METRICS.md, queue and callback metrics): one GROUP BY over queue legs, by
queue and hour, and one over the period's callbacks, by queue.

The database returns sums and counts per (queue, UTC hour), a few thousand rows at most; the
totals, the per-queue lines and the charts (hour of day, day, weekday x hour) are all folded
from those rows, so every view of the period agrees with the others to the call.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, select
from sqlalchemy.orm import Session

from callcenter.reports.metrics import (
    Filters,
    bucket_key,
    bucket_time,
    in_period,
    mean,
    rate,
    seconds_between,
    utc_hour,
)
from callcenter.reports.offer_metrics import OFFER_FIGURES, ZERO, offer_sums, offer_total
from callcenter.reports.rollups.read import raw, split, targets_of
from config.flow import Flow
from db.models import Call, Callback, QueueEntry
from db.models.rollups import AdviserLegRollup, QueueRollup
from db.states import CallbackStatus, LegOutcome

DEFAULT_SERVICE_LEVEL_S = 60
COUNTS = ("offered", "answered", "abandoned", "short_abandons", "callbacks", "voicemails",
          "transferred_out", "met", "wait_sum", "abandon_sum")
# key -> (label, unit, formula): shown beside each figure on screen, in the CSV and the API.
QUEUE_FIGURES: dict[str, tuple[str, str, str]] = {
    "offered": ("Offered", "", "calls that joined the queue (a transferred call's new leg counts in "
                "the queue it was moved to)"),
    "answered": ("Answered", "", "legs connected to an adviser (answered_at set)"),
    "abandoned": ("Abandoned", "", "caller hung up while waiting, later than SHORT_ABANDON_S after "
                  "joining; callbacks and IVR hang-ups are not abandons"),
    "short_abandons": ("Short abandons", "", "caller hung up within SHORT_ABANDON_S of joining"),
    "callbacks": ("Callbacks", "", "caller left the queue by asking for a callback"),
    "voicemails": ("Voicemails", "", "caller left the queue by leaving a voicemail"),
    "transferred_out": ("Transferred out", "", "answered legs an adviser moved to another queue"),
    "service_level": ("Service level", "%", "(answered within T s + callbacks requested within T s) "
                      "÷ (offered − short abandons) × 100; T = the queue's service_level_s; "
                      "a callback chosen within T counts as met"),
    "abandonment_rate": ("Abandonment rate", "%", "abandoned ÷ (offered − short abandons) × 100"),
    "asa_s": ("ASA", "s", "mean of (answered_at − enqueued_at) over answered legs"),
    "avg_abandon_s": ("Average abandon time", "s", "mean of (left_at − enqueued_at) over abandoned legs"),
    # METRICS.md, callbacks: from the callbacks themselves (asked for in the queue or in the menus).
    "callbacks_requested": ("Callbacks requested", "", "callbacks callers asked for, in the queue or "
                            "in the menus"),
    "callbacks_completed": ("Callbacks completed", "", "callbacks on which an adviser talked to the caller"),
    "callbacks_failed": ("Callbacks failed", "", "callbacks given up after their last attempt reached "
                         "no one"),
    "callback_attempts": ("Callback attempts", "", "calls Jobline placed to call the callers back"),
    "time_to_callback_s": ("Mean time to callback", "s", "mean of (connected_at − requested_at) over "
                           "completed callbacks"),
    **OFFER_FIGURES,  # offer-mode queues (callcenter/reports/offer_metrics.py)
}
CALLBACK_COUNTS = ("callbacks_requested", "callbacks_completed", "callbacks_failed", "callback_attempts",
                   "callback_wait_sum")
CALLBACK_STATUSES = tuple(CallbackStatus)


@dataclass
class Sums:
    """Counts and second-sums for one group; `figures()` turns them into METRICS.md figures."""

    values: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0.0))

    def add(self, row: dict[str, float]) -> None:
        for key in COUNTS:
            self.values[key] += row[key] or 0

    def figures(self) -> dict[str, Any]:
        v = self.values
        served = v["offered"] - v["short_abandons"]
        out: dict[str, Any] = {k: int(v[k]) for k in COUNTS[:7]}
        out.update(service_level=rate(v["met"], served), abandonment_rate=rate(v["abandoned"], served),
                   asa_s=mean(v["wait_sum"], v["answered"]),
                   avg_abandon_s=mean(v["abandon_sum"], v["abandoned"]))
        return out


def leg_measures(flow: Flow) -> list[Any]:
    """The COUNTS of a group of queue legs, as labelled SQL aggregates (raw rows and rollups)."""
    q = QueueEntry
    target = case({name: qq.service_level_s for name, qq in flow.queues.items()}, value=q.queue,
                  else_=DEFAULT_SERVICE_LEVEL_S) if flow.queues else DEFAULT_SERVICE_LEVEL_S
    wait = seconds_between(q.answered_at, q.enqueued_at)
    left = seconds_between(q.left_at, q.enqueued_at)
    return [
        func.count().label("offered"),
        func.count(q.answered_at).label("answered"),
        _count(q.outcome == LegOutcome.ABANDONED).label("abandoned"),
        _count(q.outcome == LegOutcome.SHORT_ABANDON).label("short_abandons"),
        _count(q.outcome == LegOutcome.CALLBACK).label("callbacks"),
        _count(q.outcome == LegOutcome.VOICEMAIL).label("voicemails"),
        _count(q.outcome == LegOutcome.TRANSFERRED).label("transferred_out"),
        # "within T s" is inclusive; SQLite's julianday keeps milliseconds, so allow one of float error.
        _count(and_(q.answered_at.is_not(None), wait <= target + 0.001)
               | and_(q.outcome == LegOutcome.CALLBACK, left <= target + 0.001)).label("met"),
        func.sum(wait).label("wait_sum"),
        func.sum(case((q.outcome == LegOutcome.ABANDONED, left))).label("abandon_sum"),
    ]


def _count(cond: Any) -> Any:
    return func.sum(case((cond, 1), else_=0))


def leg_rows(s: Session, f: Filters, flow: Flow) -> list[Any]:
    """Sums per (queue, UTC hour of joining) over the legs of calls started in the period."""
    return list(s.execute(leg_query(f, flow)))


def leg_query(f: Filters, flow: Flow) -> Select[Any]:
    q = QueueEntry
    stmt = (select(q.queue, utc_hour(q.enqueued_at).label("hour"), *leg_measures(flow))
            .where(in_period(q.enqueued_at, q.call_id, f)).group_by(q.queue, "hour"))
    for col, value in ((q.queue, f.queue), (q.language, f.language), (q.intent, f.intent),
                       (q.agent_id, f.agent_id)):
        if value is not None:
            stmt = stmt.where(col == value)
    return stmt


def queue_part(s: Session, f: Filters, flow: Flow) -> dict[str, Any]:
    """The sums of a period from raw rows as plain lists: [queue, hour, *COUNTS]."""
    return {"rows": [[r.queue, r.hour, *(float(getattr(r, k) or 0) for k in COUNTS)]
                     for r in leg_rows(s, f, flow)]}


def rolled_queue_part(s: Session, f: Filters) -> dict[str, Any]:
    """The same sums from the rollups (per adviser when the adviser filter is set)."""
    t = AdviserLegRollup if f.agent_id is not None else QueueRollup
    stmt = (select(t.queue, t.leg_hour, *(func.sum(getattr(t, k)) for k in COUNTS))
            .where(t.hour >= f.start, t.hour < f.end).group_by(t.queue, t.leg_hour))
    for col, value in ((t.queue, f.queue), (t.language, f.language), (t.intent, f.intent)):
        if value is not None:
            stmt = stmt.where(col == value)
    if f.agent_id is not None:
        stmt = stmt.where(AdviserLegRollup.agent_id == f.agent_id)
    return {"rows": [[queue, bucket_key(hour), *(float(v or 0) for v in values)]
                     for queue, hour, *values in s.execute(stmt)]}


def queue_parts(s: Session, f: Filters, flow: Flow, now: datetime | None = None,
                rollups: bool = True) -> list[dict[str, Any]]:
    """The period's sums: rollups for settled hours, raw rows for the rest (reports.rollups.read)."""
    cut = split(s, f, targets_of(flow), now or datetime.now(UTC)) if rollups else raw(f)
    parts = [rolled_queue_part(s, cut.rolled)] if cut.rolled else []
    return parts + ([queue_part(s, cut.live, flow)] if cut.live else [])


def queue_report(s: Session, f: Filters, flow: Flow, now: datetime | None = None,
                 rollups: bool = True) -> dict[str, Any]:
    """Per queue and overall figures, plus the series the charts draw.

    `rollups=False` reads every row raw (slow on big periods; the rollups are tested against it).
    """
    parts = queue_parts(s, f, flow, now, rollups)
    total, per_queue = Sums(), defaultdict(Sums)
    by_hour, by_day = defaultdict(Sums), defaultdict(Sums)
    heat = [[0] * 24 for _ in range(7)]
    for part in parts:
        for queue, hour, *values in part["rows"]:
            row = dict(zip(COUNTS, values, strict=True))
            total.add(row)
            per_queue[queue].add(row)
            local = bucket_time(hour).astimezone(f.tz)
            by_hour[local.hour].add(row)
            by_day[local.date()].add(row)
            heat[local.weekday()][local.hour] += int(row["offered"])
    names = list(flow.queues) + sorted(set(per_queue) - set(flow.queues))
    if f.queue:
        names = [f.queue]
    days = [f.first_day.fromordinal(d) for d in range(f.first_day.toordinal(), f.last_day.toordinal() + 1)]
    callbacks = callback_sums(s, f)
    all_callbacks = {k: sum(q[k] for q in callbacks.values()) for k in CALLBACK_COUNTS}
    offers = offer_sums(s, f, "queue")
    return {
        "total": {**total.figures(), **callback_figures(all_callbacks), **offer_total(offers)},
        "queues": {n: {**per_queue[n].figures(), **callback_figures(callbacks.get(n)),
                       **(offers[n] if n in offers else ZERO), "service_level_s": _target(flow, n)}
                   for n in names},
        "by_hour": [{"hour": h, **by_hour[h].figures()} for h in range(24)],
        "by_day": [{"day": d.isoformat(), "label": f"{d:%a} {d.day}", **by_day[d].figures()}
                   for d in days if _within(d, days)],
        "heatmap": heat,
        "formulas": {k: v[2] for k, v in QUEUE_FIGURES.items()},
    }


def callback_sums(s: Session, f: Filters) -> dict[str, dict[str, float]]:
    """CALLBACK_COUNTS per queue, for the callbacks of calls started in the period.

    Read raw, not rolled up: a callback is completed long after its call. Naming every status
    lets the (status, requested_at) index read the period as a few ranges.
    """
    cb = Callback
    done = cb.status == CallbackStatus.COMPLETED
    stmt = (select(cb.queue, func.count(), _count(done), _count(cb.status == CallbackStatus.FAILED),
                   func.sum(cb.attempts),
                   func.sum(case((done, seconds_between(cb.connected_at, cb.requested_at)))))
            .where(cb.status.in_(CALLBACK_STATUSES), in_period(cb.requested_at, cb.call_id, f))
            .group_by(cb.queue))
    for col, value in ((cb.queue, f.queue), (cb.language, f.language), (cb.agent_id, f.agent_id)):
        if value is not None:
            stmt = stmt.where(col == value)
    if f.intent is not None:
        stmt = stmt.where(exists().where(Call.id == cb.call_id, Call.reason == f.intent))
    return {queue: dict(zip(CALLBACK_COUNTS, (float(v or 0) for v in values), strict=True))
            for queue, *values in s.execute(stmt)}


def callback_figures(sums: dict[str, float] | None) -> dict[str, Any]:
    v = sums or dict.fromkeys(CALLBACK_COUNTS, 0.0)
    return {**{k: int(v[k]) for k in CALLBACK_COUNTS[:4]},
            "time_to_callback_s": mean(v["callback_wait_sum"], v["callbacks_completed"])}


def _within(d: date, days: list[date]) -> bool:
    return len(days) <= 62  # a year of daily bars reads as noise; the table carries long periods


def _target(flow: Flow, name: str) -> int:
    queue = flow.queues.get(name)
    return queue.service_level_s if queue else DEFAULT_SERVICE_LEVEL_S
