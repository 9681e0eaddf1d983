"""The live floor a supervisor watches (/floor, /api/floor): every adviser with their status, how
long they have been in it and the call they are on; every caller waiting, with their place in line.

Places are counted as the hold loop counts the one it announces (ivr/queue/hold.py): per queue,
callers waiting and kept callbacks together, higher priority first, then time of joining. A
caller whose adviser's phone is ringing has left the line (no place) but still waits.

Phone numbers are masked for every role: the floor is for seeing who waits, not for dialling, and
an admin's full numbers come only through the audited call-records export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.reports.wallboard import LIVE_CALL
from config.flow import Flow
from db.models import Call, Callback, Caller, QueueEntry, User
from db.personal import mask_phone
from db.states import (
    CALLBACK_IN_LINE,
    LEG_WAITING_OR_RINGING,
    LEG_WITH_ADVISER,
    AdviserStatus,
    CallbackStatus,
    LegStatus,
    Role,
)

ADVISER_ROLES = (Role.AGENT, Role.SUPERVISOR)  # the roles that take calls at the desk
# The order of the counts and of the advisers' table: who is working first, then who could be.
STATES = (AdviserStatus.BUSY, AdviserStatus.AFTER_CALL, AdviserStatus.AVAILABLE, AdviserStatus.BREAK,
          AdviserStatus.OFFLINE)
STATE_LABELS = {AdviserStatus.BUSY: "On a call", AdviserStatus.AFTER_CALL: "After-call work",
                AdviserStatus.AVAILABLE: "Available", AdviserStatus.BREAK: "On break",
                AdviserStatus.OFFLINE: "Offline"}
_CALLBACK_OPEN = (CallbackStatus.DIALING, CallbackStatus.CONNECTED, CallbackStatus.COMPLETED)


@dataclass(frozen=True)
class FloorFilter:
    """What the supervisor chose to see: one queue and/or one language (None: all)."""

    queue: str | None = None
    language: str | None = None

    def serves(self, user: User) -> bool:
        # A supervisor with no queues of their own serves them all (callcenter/desk/state.py).
        queues = user.queues or []
        in_queue = self.queue is None or self.queue in queues or (not queues and user.role == Role.SUPERVISOR)
        return in_queue and (self.language is None or self.language in (user.languages or []))

    def shows(self, row: dict[str, Any]) -> bool:
        return ((self.queue is None or row["queue"] == self.queue)
                and (self.language is None or row["language"] == self.language))


def iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


def _seconds(now: datetime, since: datetime | None) -> int:
    return max(0, int((now - since).total_seconds())) if since else 0


def _queue_label(flow: Flow, name: str) -> str:
    queue = flow.queues.get(name)
    return queue.label.get(flow.default_language, name) if queue else name


def _language_name(flow: Flow, code: str | None) -> str | None:
    return next((lang.name for lang in flow.languages if lang.code == code), code)


def _work(flow: Flow, now: datetime, queue: str, phase: str, since: datetime | None) -> dict[str, Any]:
    """An adviser's current call: its queue and phase, since when (the caller's wait while the
    adviser's phone rings, the talk time once connected, the after-call work's time after)."""
    return {"queue": queue, "queue_label": _queue_label(flow, queue), "phase": phase,
            "since": iso(since), "seconds": _seconds(now, since)}


def _current_work(s: Session, flow: Flow, now: datetime, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each adviser's call or callback now (ringing, talking or wrapping up), the latest one."""
    found: dict[int, dict[str, Any]] = {}
    if not ids:
        return found
    legs = s.scalars(select(QueueEntry).where(
        QueueEntry.agent_id.in_(ids),
        QueueEntry.status.in_(LEG_WITH_ADVISER)
        | ((QueueEntry.status == LegStatus.ENDED) & QueueEntry.wrapped_at.is_(None)),
    ).order_by(QueueEntry.id))
    for leg in legs:
        if leg.status == LegStatus.CONNECTING:
            found[leg.agent_id] = _work(flow, now, leg.queue, "ringing", leg.enqueued_at)
        elif leg.status == LegStatus.CONNECTED:
            found[leg.agent_id] = _work(flow, now, leg.queue, "talking", leg.answered_at)
        else:
            found[leg.agent_id] = _work(flow, now, leg.queue, "wrapping_up", leg.ended_at)
    callbacks = s.scalars(select(Callback).where(
        Callback.agent_id.in_(ids), Callback.wrapped_at.is_(None), Callback.status.in_(_CALLBACK_OPEN),
    ).order_by(Callback.id))
    for cb in callbacks:
        phase, since = {CallbackStatus.DIALING: ("calling_back", cb.last_attempt_at),
                        CallbackStatus.CONNECTED: ("talking", cb.connected_at)}.get(
            cb.status, ("wrapping_up", cb.completed_at))
        found[cb.agent_id] = _work(flow, now, cb.queue, phase, since) | {"callback": True}
    return found


def advisers(s: Session, flow: Flow, now: datetime, chosen: FloorFilter) -> list[dict[str, Any]]:
    """Every active adviser the filter shows: working ones first, then by name."""
    people = [u for u in s.scalars(select(User).where(User.active.is_(True), User.role.in_(ADVISER_ROLES)))
              if chosen.serves(u)]
    work = _current_work(s, flow, now, [u.id for u in people])
    rank = {state: n for n, state in enumerate(STATES)}
    people.sort(key=lambda u: (rank.get(u.status, len(STATES)), u.name.casefold()))
    return [{"id": u.id, "name": u.name, "status": u.status,
             "status_label": STATE_LABELS.get(u.status, u.status),
             "status_since": iso(u.status_since), "in_state_s": _seconds(now, u.status_since),
             "queues": [q for q in (u.queues or []) if q in flow.queues] or
             (list(flow.queues) if u.role == Role.SUPERVISOR else []),
             "languages": list(u.languages or []), "current": work.get(u.id)} for u in people]


def _line_key(priority: int, enqueued_at: datetime, leg_id: int | None) -> tuple[int, datetime, int]:
    return (-priority, enqueued_at, leg_id or 0)


def waiting(s: Session, flow: Flow, now: datetime, chosen: FloorFilter) -> list[dict[str, Any]]:
    """Every caller waiting (or ringing an adviser) and every kept callback not yet answered, with
    their place in their queue's line; by queue (the flow's order), then place. As on the
    wallboard, a leg older than LIVE_CALL is a lost status callback, not a caller (the queues are
    named so the (queue, status, ...) index seeks)."""
    legs = s.execute(select(QueueEntry.id, QueueEntry.queue, QueueEntry.language, QueueEntry.priority,
                            QueueEntry.status, QueueEntry.enqueued_at,
                            Call.language.label("call_language"), Caller.phone)
                     .join(Call, Call.id == QueueEntry.call_id)
                     .outerjoin(Caller, Caller.id == Call.caller_id)
                     .where(QueueEntry.queue.in_(list(flow.queues)),
                            QueueEntry.status.in_(LEG_WAITING_OR_RINGING),
                            QueueEntry.enqueued_at >= now - LIVE_CALL)).all()
    kept = s.execute(select(Callback.id, Callback.queue, Callback.language, Callback.priority,
                            Callback.status, Callback.enqueued_at, Callback.queue_entry_id, Callback.phone)
                     .where(Callback.status.in_(CALLBACK_IN_LINE))).all()
    rows: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for leg in legs:
        ringing = leg.status == LegStatus.CONNECTING
        rows.append((_line_key(leg.priority, leg.enqueued_at, leg.id) if not ringing else None, {
            "kind": "call", "id": leg.id, "queue": leg.queue, "language": leg.language or leg.call_language,
            "status": "ringing_adviser" if ringing else "waiting", "callback": False,
            "enqueued_at": iso(leg.enqueued_at), "wait_s": _seconds(now, leg.enqueued_at),
            "caller": mask_phone(leg.phone), "priority": leg.priority}))
    for cb in kept:
        rows.append((_line_key(cb.priority, cb.enqueued_at, cb.queue_entry_id), {
            "kind": "callback", "id": cb.id, "queue": cb.queue, "language": cb.language,
            "status": "calling_back" if cb.status == CallbackStatus.DIALING else "callback_pending",
            "callback": True, "enqueued_at": iso(cb.enqueued_at), "wait_s": _seconds(now, cb.enqueued_at),
            "caller": mask_phone(cb.phone), "priority": cb.priority}))
    places: dict[str, int] = {}
    for _key, row in sorted((r for r in rows if r[0] is not None), key=lambda r: (r[1]["queue"], r[0])):
        places[row["queue"]] = places.get(row["queue"], 0) + 1
        row["position"] = places[row["queue"]]
    order = {name: n for n, name in enumerate(flow.queues)}
    shown = [row | {"position": row.get("position"), "queue_label": _queue_label(flow, row["queue"]),
                    "language_name": _language_name(flow, row["language"])}
             for _, row in rows if chosen.shows(row)]
    shown.sort(key=lambda r: (order.get(r["queue"], len(order)), r["position"] or 0, -r["wait_s"]))
    return shown


def floor_state(s: Session, flow: Flow, now: datetime, chosen: FloorFilter) -> dict[str, Any]:
    """Everything /floor shows, as JSON-ready values."""
    people, line = advisers(s, flow, now, chosen), waiting(s, flow, now, chosen)
    counts = {state.value: sum(1 for p in people if p["status"] == state) for state in STATES}
    return {
        "server_time": iso(now),
        "filters": {"queue": chosen.queue, "language": chosen.language},
        "counts": counts | {"waiting": sum(1 for r in line if not r["callback"]),
                            "callbacks": sum(1 for r in line if r["callback"])},
        "advisers": people,
        "waiting": line,
    }
