"""The caller summary an adviser reads before answering: name (audio + transcript), masked ID,
reason and intent, the path through the menus, and previous contacts with their dispositions.

Rows for the waiting list are built in batches (three queries for any number of entries); the
full summary of one call adds the path and the history. Phone numbers are always masked here
(no desk role dials by hand), ID numbers too; revealing an ID is a separate, audited request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from callcenter.desk.holds import hold_steps
from callcenter.desk.path import menu_path, transfer_steps
from config.flow import Flow
from db.models import Call, Callback, Caller, CallEvent, Capture, QueueEntry, Recording, User
from db.personal import mask_id, mask_phone
from db.states import CallbackStatus, CaptureStatus

ID_FIELD = "id_number"
SPOKEN_KINDS = ("name", "reason")
# Capture statuses that hold a number the caller typed (unconfirmed: typed, not read back).
ID_HELD = {CaptureStatus.CAPTURED: True, CaptureStatus.CONFIRMING: False, CaptureStatus.UNCONFIRMED: False}
HISTORY_LIMIT = 5


def iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


def _recording(rec: Any) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {"recording_id": rec.id, "audio": bool(rec.audio_path), "text": rec.text or None,
            "status": rec.status, "intent": rec.intent}


def _details(s: Session, call_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per call: the latest name and reason recordings and the latest ID capture."""
    found: dict[int, dict[str, Any]] = {cid: {} for cid in call_ids}
    if not call_ids:
        return found
    # Plain rows of the few columns shown, not ORM objects: no word timings or other blobs
    # are loaded for a list polled every 1.5 s.
    for rec in s.execute(select(Recording.id, Recording.call_id, Recording.kind, Recording.text,
                                Recording.intent, Recording.status, Recording.audio_path)
                         .where(Recording.call_id.in_(call_ids), Recording.kind.in_(SPOKEN_KINDS))
                         .order_by(Recording.id)):
        found[rec.call_id][rec.kind] = rec
    for cap in s.execute(select(Capture.call_id, Capture.value, Capture.status)
                         .where(Capture.call_id.in_(call_ids), Capture.field == ID_FIELD)
                         .order_by(Capture.id)):
        found[cap.call_id]["id"] = cap
    return found


def _id_shown(cap: Any) -> dict[str, Any] | None:
    if cap is None or not cap.value or cap.status not in ID_HELD:
        return None
    return {"masked": mask_id(cap.value), "confirmed": ID_HELD[cap.status]}


def _row(flow: Flow, call: Call, details: dict[str, Any], now: datetime) -> dict[str, Any]:
    reason = details.get("reason")
    lang = flow.language(call.language) if call.language else None
    return {
        "call_id": call.id,
        "language": call.language,
        "language_name": lang.name if lang else None,
        "caller": mask_phone(call.caller.phone) if call.caller else "",
        "name": _recording(details.get("name")),
        "id_number": _id_shown(details.get("id")),
        "reason": _recording(reason),
        "reason_code": call.reason,
        "started_at": iso(call.started_at),
        "in_call_s": max(0, int((now - call.started_at).total_seconds())),
    }


def entry_row(flow: Flow, entry: QueueEntry, details: dict[str, Any], now: datetime) -> dict[str, Any]:
    queue = flow.queues.get(entry.queue)
    since = entry.enqueued_at
    return {
        "id": entry.id,
        "status": entry.status,
        "queue": entry.queue,
        "queue_label": queue.label["en"] if queue else entry.queue,
        "service_level_s": queue.service_level_s if queue else 60,
        "priority": entry.priority,
        "intent": entry.intent or (details.get("reason").intent if details.get("reason") else None),
        "enqueued_at": iso(since),
        "wait_s": max(0, int((now - since).total_seconds())),
        "answered_at": iso(entry.answered_at),
        "ended_at": iso(entry.ended_at),
        "transferred": entry.transferred_from_id is not None,
        "notes": entry.notes,
        "disposition": entry.disposition,
        **_row(flow, entry.call, details, now),
    }


def _load_calls(s: Session, call_ids: Sequence[int]) -> list[Call]:
    """One query for the calls and one for their callers: entry.call and call.caller then come
    from the session's identity map instead of two lazy loads per waiting caller. Keep the
    returned list while using them: the identity map holds objects only weakly."""
    if not call_ids:
        return []
    return list(s.scalars(select(Call).options(selectinload(Call.caller)).where(Call.id.in_(call_ids))))


def waiting_rows(
    s: Session, flow: Flow, entries: Sequence[QueueEntry], now: datetime
) -> list[dict[str, Any]]:
    """Compact rows for the list (polled every 1.5 s by every desk): labels come from the page's
    config, the full summary from /api/entries/<id>."""
    call_ids = [e.call_id for e in entries]
    calls = {c.id: c for c in s.execute(select(Call.id, Call.language, Caller.phone)
                                        .outerjoin(Caller, Call.caller_id == Caller.id)
                                        .where(Call.id.in_(call_ids)))} if call_ids else {}
    details = _details(s, call_ids)
    rows = []
    for e in entries:
        d, call = details[e.call_id], calls[e.call_id]
        name, reason, cap = d.get("name"), d.get("reason"), d.get("id")
        rows.append({
            "id": e.id, "queue": e.queue, "language": e.language or call.language,
            "intent": e.intent or (reason.intent if reason else None), "priority": e.priority,
            "enqueued_at": iso(e.enqueued_at), "wait_s": max(0, int((now - e.enqueued_at).total_seconds())),
            "caller": mask_phone(call.phone),
            "name": {"recording_id": name.id, "audio": bool(name.audio_path), "text": name.text}
            if name else None,
            "reason": {"text": reason.text} if reason and reason.text else None,
            "id_number": _id_shown(cap),
        })
    return rows


def callback_rows(
    s: Session, flow: Flow, callbacks: Sequence[Callback], now: datetime
) -> list[dict[str, Any]]:
    loaded = _load_calls(s, [c.call_id for c in callbacks])  # noqa: F841 (kept alive)
    details = _details(s, [c.call_id for c in callbacks])
    rows = []
    for cb in callbacks:
        queue = flow.queues.get(cb.queue)
        rows.append({
            "id": cb.id, "entry_id": cb.queue_entry_id, "status": cb.status, "queue": cb.queue,
            "queue_label": queue.label["en"] if queue else cb.queue,
            "requested_at": iso(cb.requested_at),
            "wait_s": max(0, int((now - cb.requested_at).total_seconds())),
            "attempts": cb.attempts, "phone": mask_phone(cb.phone),
            **_row(flow, cb.call, details[cb.call_id], now),
        })
    return rows


def history(s: Session, call: Call, id_value: str | None) -> list[dict[str, Any]]:
    """Earlier calls from the same number or with the same ID number, newest first."""
    same = []
    if call.caller_id is not None:
        same.append(Call.caller_id == call.caller_id)
    if id_value:
        same.append(Call.id.in_(select(Capture.call_id).where(Capture.field == ID_FIELD,
                                                              Capture.value == id_value)))
    if not same:
        return []
    calls = s.scalars(select(Call).where(or_(*same), Call.id != call.id, Call.started_at <= call.started_at)
                      .order_by(Call.started_at.desc()).limit(HISTORY_LIMIT)).all()
    if not calls:
        return []
    legs: dict[int, QueueEntry | Callback] = {}
    for leg in s.scalars(select(QueueEntry).where(QueueEntry.call_id.in_([c.id for c in calls]))
                         .order_by(QueueEntry.id)):
        legs[leg.call_id] = leg  # the last leg carries the final disposition
    # A callback's conversation is the call's last contact: its wrap-up is what the adviser wrote.
    for cb in s.scalars(select(Callback).where(Callback.call_id.in_([c.id for c in calls]),
                                               Callback.wrapped_at.is_not(None))):
        legs[cb.call_id] = cb  # the same fields as a leg's: queue, notes, disposition, agent_id
    agents = {u.id: u.name for u in s.scalars(select(User).where(
        User.id.in_([leg.agent_id for leg in legs.values() if leg.agent_id])))}
    out = []
    for c in calls:
        leg = legs.get(c.id)
        out.append({
            "call_id": c.id, "started_at": iso(c.started_at), "outcome": c.outcome,
            "queue": leg.queue if leg else c.queue,
            "disposition": leg.disposition if leg else None,
            "notes": (leg.notes or "")[:300] if leg else "",
            "adviser": agents.get(leg.agent_id) if leg and leg.agent_id else None,
            "same_number": c.caller_id == call.caller_id and call.caller_id is not None,
        })
    return out


def _story(s: Session, flow: Flow, call: Call, details: dict[str, Any],
           up_to: int | None = None) -> dict[str, Any]:
    """The call's path through the menus (its transfers, up to leg `up_to`, and its holds) and the
    caller's previous contacts."""
    events = s.scalars(select(CallEvent).where(CallEvent.call_id == call.id,
                                               CallEvent.kind.in_(("enter", "key", "adviser")))
                       .order_by(CallEvent.id)).all()
    cap = details.get("id")
    path = menu_path(flow, events) + transfer_steps(s, flow, call.id, up_to) + hold_steps(s, flow, call.id)
    return {"path": path,
            "history": history(s, call, cap.value if cap and cap.status in ID_HELD else None)}


def full_summary(s: Session, flow: Flow, entry: QueueEntry, now: datetime) -> dict[str, Any]:
    """Everything about one waiting (or connected) call, for the summary panel."""
    details = _details(s, [entry.call_id])[entry.call_id]
    return {"kind": "call", **entry_row(flow, entry, details, now),
            **_story(s, flow, entry.call, details, up_to=entry.id)}


# A callback's states as the desk names a conversation's: Jobline is still ringing the caller,
# the adviser talks to them, or the talk is over and after-call work goes on.
CALLBACK_AS_CALL = {CallbackStatus.DIALING: "calling_back", CallbackStatus.CONNECTED: "connected",
                    CallbackStatus.COMPLETED: "ended"}


def callback_summary(s: Session, flow: Flow, cb: Callback, now: datetime) -> dict[str, Any]:
    """The callback an adviser is calling, talking on or wrapping up, shaped as the desk's
    current call: who and why from the call that asked for it, with the callback's own times,
    notes and disposition."""
    details = _details(s, [cb.call_id])[cb.call_id]
    queue = flow.queues.get(cb.queue)
    reason = details.get("reason")
    return {
        "kind": "callback", "id": cb.id, "status": CALLBACK_AS_CALL.get(cb.status, cb.status),
        "queue": cb.queue, "queue_label": queue.label["en"] if queue else cb.queue,
        "service_level_s": queue.service_level_s if queue else 60, "priority": cb.priority,
        "intent": reason.intent if reason else None, "enqueued_at": iso(cb.enqueued_at),
        "wait_s": max(0, int((now - cb.requested_at).total_seconds())),
        "requested_at": iso(cb.requested_at), "attempts": cb.attempts,
        "answered_at": iso(cb.connected_at), "ended_at": iso(cb.completed_at), "transferred": False,
        "notes": cb.notes, "disposition": cb.disposition,
        **_row(flow, cb.call, details, now),
        "phone": mask_phone(cb.phone),  # the number called back, which may not be the one that rang
        **_story(s, flow, cb.call, details),
    }
