"""Call records: the call and its caller from the first webhook, steps taken, final status.

Status callbacks may arrive twice or out of order; each distinct (CallSid, status) is applied
once and a call never moves back down the status ladder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, exists, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from db.models import (
    STATUS_RANK,
    Call,
    Callback,
    Caller,
    CallEvent,
    QueueEntry,
    Recording,
    StatusCallback,
    utcnow,
)
from db.session import SessionLocal, step_engine
from ivr import durations
from ivr.callstate import ADD_EVENTS, CallState, ignoring_duplicates, number
from ivr.queue import legs

_sc = StatusCallback.__table__
STATUS_COLUMNS = ("call_sid", "status", "received_at")
SID = re.compile(r"^[A-Za-z]{2}[0-9a-fA-F]{32}$")
FINAL = {s for s, rank in STATUS_RANK.items() if rank == max(STATUS_RANK.values())}


def clean_sid(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if SID.match(value) else None


def event(call: Call | CallState, kind: str, node: str | None = None, detail: str | None = None) -> None:
    """Record a step of the call. Steps are kept on the session (or the light state) and written
    in one INSERT just before it commits (see save_events): several steps per webhook, one
    statement."""
    detail = (detail or None) and detail[:200]
    if isinstance(call, CallState):
        call.add_event(kind, node, detail)
        return
    s = object_session(call)
    if s is None:
        raise RuntimeError("event() needs a call that belongs to a session")
    if call.id is None:
        s.flush()
    s.info.setdefault(_PENDING, []).append(
        {"call_id": call.id, "at": utcnow(), "kind": kind, "node": node, "detail": detail})


_PENDING = "jobline.pending_events"


def pending_kinds(s: Session, call: Call) -> set[str]:
    return {e["kind"] for e in s.info.get(_PENDING, []) if e["call_id"] == call.id}


@sa_event.listens_for(SessionLocal, "before_commit")
def save_events(s: Session) -> None:
    """Write the steps recorded with event() in one executemany INSERT."""
    pending = s.info.pop(_PENDING, None)
    if pending:
        s.execute(ADD_EVENTS, pending)


@sa_event.listens_for(SessionLocal, "after_rollback")
def _drop_events(s: Session) -> None:
    s.info.pop(_PENDING, None)


# Built once: a statement object keeps its cache key, so each webhook skips rebuilding it.
_CALL_BY_SID = select(Call).where(Call.sid == bindparam("sid"))


def find_call(s: Session, sid: str | None) -> Call | None:
    if not sid:
        return None
    return s.scalar(_CALL_BY_SID, {"sid": sid})


def start_call(s: Session, form: Mapping[str, str]) -> Call:
    """The call for this CallSid, created with its caller (language remembered per number)."""
    sid = clean_sid(form.get("CallSid"))
    if sid is None:
        raise ValueError("CallSid missing or malformed")
    call = find_call(s, sid)
    if call is not None:
        return call
    phone = number(form, "From")
    caller = None
    if phone is not None:
        caller = s.scalar(select(Caller).where(Caller.phone == phone))
        if caller is None:
            caller = Caller(phone=phone)
            s.add(caller)
    call = Call(
        sid=sid,
        caller=caller,
        to_number=number(form, "To"),
        direction=(form.get("Direction") or "inbound")[:16],
        language=caller.language if caller else None,
        slow_speech=caller.slow_speech if caller else False,
        status="in-progress",
    )
    s.add(call)
    try:
        with s.begin_nested():
            s.flush()
    except IntegrityError:  # the same CallSid posted twice at once: use the stored one
        call = find_call(s, sid)
        if call is None:
            raise
        return call
    event(call, "start")
    return call


def materialize(s: Session, state: CallState, form: Mapping[str, str]) -> Call:
    """The stored call for a light state, brought up to date with what the step did so far."""
    call = start_call(s, form)
    call.language, call.slow_speech = state.language, state.slow_speech
    if state.node is not None:
        call.node = state.node
    if state.remember:
        remember_choice(call, language=state.remember.get("language"), slow=state.remember.get("slow"))
    s.info.setdefault(_PENDING, []).extend({"call_id": call.id, **row} for row in state.events)
    return call


def remember_choice(call: Call | CallState, *, language: str | None = None,
                    slow: bool | None = None) -> None:
    """The caller's language or slower speech, for this call and the next ones from the number."""
    if isinstance(call, CallState):
        call.remember.update({"language": language} if language is not None else {})
        call.remember.update({"slow": slow} if slow is not None else {})
    if language is not None:
        call.language = language
        if isinstance(call, Call) and call.caller:
            call.caller.language = language
    if slow is not None:
        call.slow_speech = slow
        if isinstance(call, Call) and call.caller:
            call.caller.slow_speech = slow


def apply_status(session: Callable[[], Session], form: Mapping[str, str]) -> None:
    """Apply a status callback once; unknown CallSids are stored as new calls.

    A call that only walked the menus is closed with Core statements on the step engine's
    connection; one that reached a queue, asked for a callback or left a recording (or one never
    seen) is closed through the ORM, so that its queue legs close with it. `session` gives the
    request's ORM session, opened only on that second path (the caller commits it if open).
    """
    sid = clean_sid(form.get("CallSid"))
    status = (form.get("CallStatus") or "").strip().lower()
    if sid is None or status not in STATUS_RANK:
        return
    final = status in FINAL
    with step_engine().connect() as conn:
        row = conn.execute(_STATUS_LOOK, {"sid": sid}).first()
        if row is not None and not (final and row.involved):
            _close_menu_call(conn, row, status, form)
            return
    s = session()
    if _first_time(s.connection(), sid, status):
        _apply_status_orm(s, sid, status, form)


def _close_menu_call(conn: Connection, row: Any, status: str, form: Mapping[str, str]) -> None:
    """A status callback of a call that only used the menus, written on the step connection."""
    now = utcnow()
    if not _first_time(conn, row.sid, status, now):
        return  # the same callback again
    ended, seconds = row.ended_at, row.duration_s
    if status in FINAL:
        ended, seconds = end_of(row.started_at, ended, seconds, form.get("CallDuration"), now)
    outcome = row.outcome
    if status in FINAL and outcome is None:
        kinds = {kind for kind in ("closed", "adviser", "info") if getattr(row, kind)}
        outcome = outcome_from_steps(kinds, voicemail=False)
    higher = STATUS_RANK[status] > STATUS_RANK.get(row.status, 0)
    conn.execute(_CLOSE, {"call_id": row.id, "new_status": status if higher else row.status,
                          "new_ended": ended, "new_duration": seconds, "new_outcome": outcome})
    conn.execute(ADD_EVENTS, {"call_id": row.id, "at": now, "kind": "status", "node": None, "detail": status})
    conn.commit()


def _first_time(conn: Connection, sid: str, status: str, now: datetime | None = None) -> bool:
    """Store this (CallSid, status) pair; False when it was stored already (a repeat)."""
    dedupe = ignoring_duplicates(conn.dialect.name, _sc, STATUS_COLUMNS, returning="id")
    stored = conn.execute(dedupe, {"call_sid": sid, "status": status, "received_at": now or utcnow()})
    return stored.first() is not None


def _apply_status_orm(s: Session, sid: str, status: str, form: Mapping[str, str]) -> None:
    call = find_call(s, sid)
    if call is None:
        call = Call(sid=sid, status=status, direction=(form.get("Direction") or "inbound")[:16])
        s.add(call)
        s.flush()
        event(call, "unknown_call", detail="status callback for a call the IVR never saw")
    if STATUS_RANK[status] > STATUS_RANK.get(call.status, 0):
        call.status = status
    event(call, "status", detail=status)
    if status in FINAL:
        finish(call, duration=form.get("CallDuration"))


_c = Call.__table__
_STATUS_LOOK = select(
    _c.c.id, _c.c.sid, _c.c.status, _c.c.started_at, _c.c.ended_at, _c.c.duration_s, _c.c.outcome,
    or_(exists().where(QueueEntry.call_id == _c.c.id), exists().where(Callback.call_id == _c.c.id),
        exists().where(Recording.call_id == _c.c.id)).label("involved"),
    *(exists().where(CallEvent.call_id == _c.c.id, CallEvent.kind == kind).label(kind)
      for kind in ("closed", "adviser", "info")),
).where(_c.c.sid == bindparam("sid"))
_CLOSE = update(_c).where(_c.c.id == bindparam("call_id")).values(
    status=bindparam("new_status"), ended_at=bindparam("new_ended", type_=_c.c.ended_at.type),
    duration_s=bindparam("new_duration"), outcome=bindparam("new_outcome"))


def finish(call: Call, duration: str | None = None, at: datetime | None = None) -> None:
    """Close the call: end time, duration and its outcome (METRICS.md), decided once."""
    call.ended_at, call.duration_s = end_of(call.started_at, call.ended_at, call.duration_s, duration,
                                            at or utcnow())
    legs.close_legs(call, call.ended_at)
    if call.outcome is None:
        call.outcome = outcome_of(call)


def end_of(started: datetime | None, ended: datetime | None, seconds: int | None, reported: str | None,
           now: datetime) -> tuple[datetime, int | None]:
    """When a call ended (kept if known) and how long it lasted: Twilio's CallDuration when it
    gives one, else what we saw from the first webhook to the end."""
    ended = ended or now
    if (twilio_s := durations.seconds(reported)) is not None:
        return ended, twilio_s
    if seconds is None and started:
        return ended, max(0, int((ended - started.astimezone(UTC)).total_seconds()))
    return ended, seconds


def outcome_of(call: Call) -> str:
    queued = legs.queue_outcome(call)  # answered, abandoned, callback, transferred, ...
    if queued is not None:
        return queued
    kinds = {e.kind for e in call.events} | pending_kinds(object_session(call), call)
    voicemail = any(r.kind == "voicemail" and r.status not in {"absent", "failed"} for r in call.recordings)
    return outcome_from_steps(kinds, voicemail)


def outcome_from_steps(kinds: set[str], voicemail: bool) -> str:
    """The outcome of a call that never reached a queue (METRICS.md), from the steps it took."""
    if voicemail:
        return "voicemail"
    if "closed" in kinds and "adviser" in kinds:
        return "closed"
    if "info" in kinds and "adviser" not in kinds:
        return "self_service"
    return "ivr_hangup"
