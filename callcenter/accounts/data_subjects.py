"""What Jobline holds about one person, found by phone number or ID number; export and erasure
(GDPR art. 15, right of access, and art. 17, right to erasure).

A person is the calls that came from their number (as a caller, or called back on it) or in
which their ID number was keyed in or spoken. Erasure clears the personal fields of those rows
and deletes their audio files, but keeps the anonymous call rows (status, times, queue, intent,
outcome) so the reports of past periods add up to the same totals. The views are in
callcenter/accounts/privacy.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import false, null, or_, select
from sqlalchemy.orm import Session

from db.models import Call, Callback, Caller, Capture, QueueEntry, Recording
from db.states import CALLBACK_IN_LINE, CallbackStatus
from db.text_messages import texts_of
from ivr.telephony.numbers import written_number

ID_FIELD = "id_number"
OPEN_CALLBACKS = CALLBACK_IN_LINE
PHONE = re.compile(r"^\+?\d{6,15}$")


class SearchError(ValueError):
    """The search was not a phone number or an ID number; the message says what to type."""


def clean_phone(raw: str) -> str:
    """The number as Jobline stores it (E.164: + and digits), or '' when none was given."""
    phone = written_number(raw)
    if phone and not PHONE.match(phone):
        raise SearchError("Write the phone number in international form, e.g. +447700900123.")
    return phone


def clean_id(raw: str) -> str:
    """The ID number's digits, or '' when none was given."""
    value = re.sub(r"[\s-]", "", raw or "")
    if value and not value.isdigit():
        raise SearchError("An ID number is digits only; leave out letters.")
    return value


@dataclass
class Subject:
    """The rows that belong to one person."""

    callers: list[Caller] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)

    def holdings(self, s: Session) -> dict[str, int]:
        """How many of each kind of personal data are held (what an erasure would clear)."""
        call_ids = [c.id for c in self.calls]
        caps = _captures(s, call_ids)
        recs = _recordings(s, call_ids)
        entries = _entries(s, call_ids)
        return {
            "calls": len(self.calls),
            "phone_numbers": sum(1 for c in self.callers if c.phone)
            + sum(1 for cb in self.callbacks if cb.phone)
            + sum(1 for c in self.calls if c.to_number and c.direction != "inbound"),
            "id_numbers": sum(1 for c in caps if c.value),
            "transcripts": sum(1 for r in recs if r.text or r.numbers or r.words),
            "audio_files": sum(1 for r in recs if r.audio_path),
            "notes": sum(bool(e.notes) + bool(e.transfer_note) for e in entries)
            + sum(1 for cb in self.callbacks if cb.notes),
        }


def _captures(s: Session, call_ids: list[int]) -> list[Capture]:
    return list(s.scalars(select(Capture).where(Capture.call_id.in_(call_ids)).order_by(Capture.id)))


def _recordings(s: Session, call_ids: list[int]) -> list[Recording]:
    return list(s.scalars(select(Recording).where(Recording.call_id.in_(call_ids)).order_by(Recording.id)))


def _entries(s: Session, call_ids: list[int]) -> list[QueueEntry]:
    return list(s.scalars(select(QueueEntry).where(QueueEntry.call_id.in_(call_ids)).order_by(QueueEntry.id)))


def find(s: Session, phone: str = "", id_number: str = "") -> Subject:
    """The person's rows; raises SearchError when neither a phone nor an ID number is given."""
    phone, id_number = clean_phone(phone), clean_id(id_number)
    if not phone and not id_number:
        raise SearchError("Give the person's phone number or their ID number.")
    call_ids: set[int] = set()
    callers: list[Caller] = []
    if phone:
        callers = list(s.scalars(select(Caller).where(Caller.phone == phone)))
        call_ids |= set(s.scalars(select(Call.id).where(or_(
            Call.caller_id.in_([c.id for c in callers]),
            (Call.to_number == phone) & (Call.direction != "inbound")))))
        call_ids |= set(s.scalars(select(Callback.call_id).where(Callback.phone == phone)))
    if id_number:
        call_ids |= set(s.scalars(select(Capture.call_id).where(
            Capture.field == ID_FIELD, Capture.value == id_number)))
        call_ids |= set(s.scalars(select(Recording.call_id).where(
            Recording.numbers == id_number, Recording.call_id.is_not(None))))
    calls = list(s.scalars(select(Call).where(Call.id.in_(call_ids)).order_by(Call.started_at)))
    by_phone = Callback.phone == phone if phone else false()
    callbacks = list(s.scalars(select(Callback).where(or_(Callback.call_id.in_(call_ids), by_phone))
                               .order_by(Callback.id)))
    return Subject(callers, calls, callbacks)


def _iso(at: Any) -> str | None:
    return at.isoformat() if at is not None else None


def export(s: Session, subject: Subject) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data (art. 15)."""
    call_ids = [c.id for c in subject.calls]
    caps, recs, entries = _captures(s, call_ids), _recordings(s, call_ids), _entries(s, call_ids)
    calls = []
    for call in subject.calls:
        calls.append({
            "call": call.sid, "direction": call.direction, "started_at": _iso(call.started_at),
            "ended_at": _iso(call.ended_at), "status": call.status, "outcome": call.outcome,
            "language": call.language, "queue": call.queue, "reason": call.reason,
            "number_called": call.to_number if call.direction != "inbound" else None,
            "details_given": [{"field": c.field, "value": c.value, "method": c.method, "status": c.status}
                              for c in caps if c.call_id == call.id],
            "recordings": [{"kind": r.kind, "recorded_at": _iso(r.created_at), "duration_s": r.duration_s,
                            "transcript": r.text, "numbers_heard": r.numbers, "intent": r.intent,
                            "audio_kept": bool(r.audio_path)} for r in recs if r.call_id == call.id],
            "adviser_contacts": [{"queue": e.queue, "joined_at": _iso(e.enqueued_at), "outcome": e.outcome,
                                  "notes": e.notes, "transfer_note": e.transfer_note,
                                  "disposition": e.disposition}
                                 for e in entries if e.call_id == call.id],
            "text_messages": [{"message": t.message, "language": t.language, "status": t.status,
                               "sent_at": _iso(t.requested_at)} for t in texts_of(s, call.id)],
        })
    return {
        "phone_numbers": sorted({c.phone for c in subject.callers if c.phone}),
        "preferences": [{"language": c.language, "slower_speech": c.slow_speech} for c in subject.callers],
        "calls": calls,
        "callbacks": [{"call": next((c.sid for c in subject.calls if c.id == cb.call_id), None),
                       "phone": cb.phone, "status": cb.status, "requested_at": _iso(cb.requested_at),
                       "completed_at": _iso(cb.completed_at), "notes": cb.notes,
                       "disposition": cb.disposition} for cb in subject.callbacks],
    }


def erase(s: Session, subject: Subject) -> dict[str, int]:
    """Clear the person's numbers, ID numbers, transcripts and notes and delete their audio files
    (art. 17); the call rows stay, anonymous. Returns the counts of what went (the caller commits).

    Open callbacks are failed, since there is no longer a number to dial."""
    counts = subject.holdings(s)
    call_ids = [c.id for c in subject.calls]
    for caller in subject.callers:
        caller.phone = None
    for call in subject.calls:
        if call.direction != "inbound":
            call.to_number = None
    for cap in _captures(s, call_ids):
        cap.value = None
    for rec in _recordings(s, call_ids):
        if rec.audio_path:
            Path(rec.audio_path).unlink(missing_ok=True)
        rec.audio_path = rec.text = rec.numbers = None
        rec.words = null()  # SQL NULL, as the retention purge leaves it
    for entry in _entries(s, call_ids):
        entry.notes = entry.transfer_note = None
    for cb in subject.callbacks:
        cb.phone = cb.notes = None
        if cb.status in OPEN_CALLBACKS:
            cb.status = CallbackStatus.FAILED
    s.flush()
    return counts
