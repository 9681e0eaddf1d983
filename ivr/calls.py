"""Call records: the call and its caller from the first webhook, steps taken, final status.

Status callbacks may arrive twice or out of order; each distinct (CallSid, status) is applied
once and a call never moves back down the status ladder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Insert, bindparam, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from db.models import STATUS_RANK, Call, Caller, CallEvent, StatusCallback, utcnow
from db.session import SessionLocal
from ivr import legs

E164 = re.compile(r"^\+[1-9]\d{5,14}$")
SID = re.compile(r"^[A-Za-z]{2}[0-9a-fA-F]{32}$")
FINAL = {s for s, rank in STATUS_RANK.items() if rank == max(STATUS_RANK.values())}


def clean_sid(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if SID.match(value) else None


def event(call: Call, kind: str, node: str | None = None, detail: str | None = None) -> None:
    """Record a step of the call. Steps are kept on the session and written in one INSERT just
    before it commits (see save_events): several steps per webhook, one statement."""
    s = object_session(call)
    if s is None:
        raise RuntimeError("event() needs a call that belongs to a session")
    if call.id is None:
        s.flush()
    s.info.setdefault(_PENDING, []).append(
        {"call_id": call.id, "at": utcnow(), "kind": kind, "node": node,
         "detail": (detail or None) and detail[:200]})


_PENDING = "jobline.pending_events"


def pending_kinds(s: Session, call: Call) -> set[str]:
    return {e["kind"] for e in s.info.get(_PENDING, []) if e["call_id"] == call.id}


@sa_event.listens_for(SessionLocal, "before_commit")
def save_events(s: Session) -> None:
    """Write the steps recorded with event() in one executemany INSERT."""
    pending = s.info.pop(_PENDING, None)
    if pending:
        s.execute(_INSERT_EVENTS, pending)


@sa_event.listens_for(SessionLocal, "after_rollback")
def _drop_events(s: Session) -> None:
    s.info.pop(_PENDING, None)


# Built once: a statement object keeps its cache key, so each webhook skips rebuilding it.
_CALL_BY_SID = select(Call).where(Call.sid == bindparam("sid"))
_INSERT_EVENTS = insert(CallEvent.__table__)


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
    phone = (form.get("From") or "").strip()
    caller = None
    if E164.match(phone):  # withheld numbers ("anonymous", "+266696687") are not remembered
        caller = s.scalar(select(Caller).where(Caller.phone == phone))
        if caller is None:
            caller = Caller(phone=phone)
            s.add(caller)
    to = (form.get("To") or "").strip()
    call = Call(
        sid=sid,
        caller=caller,
        to_number=to if E164.match(to) else None,
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


def remember_choice(call: Call, *, language: str | None = None, slow: bool | None = None) -> None:
    if language is not None:
        call.language = language
        if call.caller:
            call.caller.language = language
    if slow is not None:
        call.slow_speech = slow
        if call.caller:
            call.caller.slow_speech = slow


def apply_status(s: Session, form: Mapping[str, str]) -> Call | None:
    """Apply a status callback once; unknown CallSids are stored as new calls."""
    sid = clean_sid(form.get("CallSid"))
    status = (form.get("CallStatus") or "").strip().lower()
    if sid is None or status not in STATUS_RANK:
        return None
    row = {"call_sid": sid, "status": status, "received_at": utcnow()}
    table = StatusCallback.__table__
    inserted = _insert_ignoring_duplicates(s, StatusCallback).values(**row).returning(table.c.id)
    first_time = s.execute(inserted).first() is not None
    if not first_time:
        return None  # the same callback again
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
    return call


def _insert_ignoring_duplicates(s: Session, model: type) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect of the session's database."""
    dialect = s.get_bind().dialect.name
    construct = pg_insert if dialect == "postgresql" else sqlite_insert
    return construct(model.__table__).on_conflict_do_nothing()


def finish(call: Call, duration: str | None = None, at: datetime | None = None) -> None:
    """Close the call: end time, duration and its outcome (METRICS.md), decided once."""
    if call.ended_at is None:
        call.ended_at = at or utcnow()
    if duration and duration.isdigit():
        call.duration_s = int(duration)
    elif call.duration_s is None and call.started_at:
        call.duration_s = max(0, int((call.ended_at - call.started_at.astimezone(UTC)).total_seconds()))
    legs.close_legs(call, call.ended_at)
    if call.outcome is None:
        call.outcome = outcome_of(call)


def outcome_of(call: Call) -> str:
    queued = legs.queue_outcome(call)  # answered, abandoned, callback, transferred, ...
    if queued is not None:
        return queued
    kinds = {e.kind for e in call.events} | pending_kinds(object_session(call), call)
    if any(r.kind == "voicemail" and r.status not in {"absent", "failed"} for r in call.recordings):
        return "voicemail"
    if "closed" in kinds and "adviser" in kinds:
        return "closed"
    if "info" in kinds and "adviser" not in kinds:
        return "self_service"
    return "ivr_hangup"
