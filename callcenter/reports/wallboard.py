"""The live wallboard (/wallboard) and the figures it polls (/api/wallboard).

Per queue: callers waiting and the longest wait, advisers by status, today's service level and
abandonment (the same sums as the queue report, for today in the PES time zone), callbacks
still to make and callback tries that reached no one today; and the callers in the IVR right
now. The page polls every POLL_MS, so what is on the wall is never more than about two seconds old.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from callcenter.access import nav, role_required
from callcenter.accounts.users import clock
from callcenter.reports.metrics import Filters, local_today
from callcenter.reports.queue_metrics import COUNTS, Sums, queue_parts
from config.flow import Flow, WallboardThresholds
from db import session as db
from db.callback_tries import FAILED_TRY
from db.models import Call, Callback, CallEvent, QueueEntry, User
from db.states import CALLBACK_IN_LINE, LEG_WAITING_OR_RINGING, AdviserStatus, CallStatus, Role

bp = Blueprint("wallboard", __name__)
POLL_MS = 1500
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
# A call older than this with no end is a lost status callback, not a caller in the IVR
# (Twilio's default time limit on a call is four hours).
LIVE_CALL = timedelta(hours=4)
WAITING = LEG_WAITING_OR_RINGING
OPEN_CALLBACKS = CALLBACK_IN_LINE
AGENT_STATES = {AdviserStatus.AVAILABLE: "available", AdviserStatus.BUSY: "on_call",
                AdviserStatus.AFTER_CALL: "after_call", AdviserStatus.BREAK: "on_break"}


def _waiting(s: Session, queues: list[str], now: datetime) -> dict[str, tuple[int, datetime | None]]:
    q = QueueEntry
    # Naming the queues lets the (queue, status, ...) index seek; without planner statistics
    # SQLite would otherwise read that whole index (every leg ever) on each poll.
    stmt = (select(q.queue, func.count(), func.min(q.enqueued_at))
            .where(q.queue.in_(queues), q.status.in_(WAITING), q.enqueued_at >= now - LIVE_CALL)
            .group_by(q.queue))
    out = {}
    for name, n, oldest in s.execute(stmt):
        # min() over a TypeDecorator column comes back raw on SQLite: read it as the column would.
        out[name] = (int(n), q.enqueued_at.type.process_result_value(_as_datetime(oldest), None))
    return out


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _agents(s: Session) -> dict[str, dict[str, int]]:
    """Advisers signed in, by the queues they serve (one adviser counts in each of their queues)."""
    per_queue: dict[str, dict[str, int]] = {}
    rows = s.execute(select(User.status, User.queues)
                     .where(User.active.is_(True), User.status != AdviserStatus.OFFLINE))
    for status, queues in rows:
        key = AGENT_STATES.get(status)
        for name in queues or []:
            counts = per_queue.setdefault(name, dict.fromkeys(AGENT_STATES.values(), 0))
            if key:
                counts[key] += 1
    return per_queue


def _callbacks(s: Session) -> dict[str, int]:
    stmt = (select(Callback.queue, func.count()).where(Callback.status.in_(OPEN_CALLBACKS))
            .group_by(Callback.queue))
    return {name: int(n) for name, n in s.execute(stmt)}


def _failed_tries(s: Session, since: datetime) -> dict[str, int]:
    """Callback tries that reached no one since `since` (db/callback_tries.py notes each), per queue."""
    stmt = (select(Callback.queue, func.count(distinct(CallEvent.id)))
            .join(Callback, Callback.call_id == CallEvent.call_id)
            .where(CallEvent.kind == FAILED_TRY, CallEvent.at >= since).group_by(Callback.queue))
    return {name: int(n) for name, n in s.execute(stmt)}


def in_ivr(s: Session, now: datetime) -> int:
    """Calls in progress that have not reached a queue and have not ended."""
    has_leg = select(QueueEntry.id).where(QueueEntry.call_id == Call.id).exists()
    return int(s.scalar(select(func.count()).select_from(Call).where(
        Call.ended_at.is_(None), Call.status == CallStatus.IN_PROGRESS, Call.started_at >= now - LIVE_CALL,
        ~has_leg)) or 0)


def floor(s: Session, flow: Flow, now: datetime) -> dict[str, Any]:
    """Everything the wallboard shows, as JSON-ready values (rates None when nothing to divide)."""
    today = local_today(flow.hours.timezone, now)
    f = Filters(today, today, ZoneInfo(flow.hours.timezone))
    sums: dict[str, Sums] = {}
    for part in queue_parts(s, f, flow, now):  # settled hours from the rollups, the rest live
        for queue, _hour, *values in part["rows"]:
            sums.setdefault(queue, Sums()).add(dict(zip(COUNTS, values, strict=True)))
    waiting, agents, callbacks = _waiting(s, list(flow.queues), now), _agents(s), _callbacks(s)
    midnight = datetime.combine(today, dtime(0), ZoneInfo(flow.hours.timezone))
    failed = _failed_tries(s, midnight.astimezone(UTC))
    queues = []
    for name, queue in flow.queues.items():
        n, oldest = waiting.get(name, (0, None))
        today_figures = sums.get(name, Sums()).figures()
        longest = max(0, int((now - oldest).total_seconds())) if oldest else 0
        queues.append({
            "queue": name, "label": queue.label.get(flow.default_language, name),
            "waiting": n, "longest_wait_s": longest, "service_level_s": queue.service_level_s,
            **agents.get(name, dict.fromkeys(AGENT_STATES.values(), 0)),
            "callbacks_pending": callbacks.get(name, 0),
            "callback_tries_failed": failed.get(name, 0),
            "offered": today_figures["offered"], "answered": today_figures["answered"],
            "abandoned": today_figures["abandoned"],
            "service_level": today_figures["service_level"],
            "abandonment_rate": today_figures["abandonment_rate"],
            "breach": _breaches(flow.wallboard, n, longest, queue.service_level_s, today_figures),
        })
    return {"at": now.isoformat(), "day": today.isoformat(), "in_ivr": in_ivr(s, now), "queues": queues,
            "thresholds": asdict(flow.wallboard)}


def _breaches(limits: WallboardThresholds, waiting: int, longest: int, target: int,
              today: dict[str, Any]) -> list[str]:
    """The figures past their threshold (config/ivr.yaml 'wallboard'; the longest wait: the queue's T)."""
    out = []
    if waiting > limits.waiting_limit:
        out.append("waiting")
    if longest > target:
        out.append("longest_wait_s")
    if today["service_level"] is not None and today["service_level"] < limits.service_level_goal:
        out.append("service_level")
    if today["abandonment_rate"] is not None and today["abandonment_rate"] > limits.abandon_limit:
        out.append("abandonment_rate")
    return out


@bp.get("/wallboard")
@nav("Wallboard", 30)
@role_required(*SUPERVISORS)
def wallboard() -> str:
    flow: Flow = current_app.extensions["jobline.flow"]
    return render_template("wallboard.html", board=floor(db.current(), flow, clock(current_app.config)),
                           poll_ms=current_app.config.get("LIVE_POLL_MS", POLL_MS))  # tests: push only


@bp.get("/api/wallboard")
@role_required(*SUPERVISORS)
def wallboard_data() -> Any:
    flow: Flow = current_app.extensions["jobline.flow"]
    return jsonify(floor(db.current(), flow, clock(current_app.config)))
