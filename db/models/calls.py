"""The rows Jobline keeps: callers, calls, what happened in them, captures and recordings.

Times are UTC (timezone-aware), set by callable defaults. Phone numbers and ID numbers are
personal data: they live in these rows and nowhere else (never in logs, URLs or job arguments).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Jobline stores UTC-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Caller(Base):
    """A phone number that has called, with what it chose last time."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)  # None: erased/expired
    language: Mapped[str | None] = mapped_column(String(8))
    slow_speech: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    calls: Mapped[list[Call]] = relationship(back_populates="caller")


# Twilio call statuses in the order a call moves through them; a callback never moves a
# call back down this ladder (callbacks may arrive out of order or twice).
STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "failed": 4,
    "no-answer": 4,
    "canceled": 4,
}


class Call(Base):
    """One phone call, from the first webhook to its final status and outcome."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_caller_started", "caller_id", "started_at"),  # reports: repeat calls
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    to_number: Mapped[str | None] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    language: Mapped[str | None] = mapped_column(String(8))
    slow_speech: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="in-progress")
    node: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[int | None] = mapped_column(Integer)
    adviser_requested_at: Mapped[datetime | None]
    queue: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))

    caller: Mapped[Caller | None] = relationship(back_populates="calls")
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan"
    )
    captures: Mapped[list[Capture]] = relationship(
        back_populates="call", order_by="Capture.id", cascade="all, delete-orphan"
    )
    recordings: Mapped[list[Recording]] = relationship(
        back_populates="call", order_by="Recording.id", cascade="all, delete-orphan"
    )


class CallEvent(Base):
    """A step of a call: a node entered, a key pressed, a retry, an error, a status callback."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    node: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))

    call: Mapped[Call] = relationship(back_populates="events")


class StatusCallback(Base):
    """Each distinct Twilio status callback once: a repeated one hits the unique key."""

    __tablename__ = "status_callbacks"
    __table_args__ = (UniqueConstraint("call_sid", "status", name="uq_status_callback"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Capture(Base):
    """A detail the IVR asked the caller for (name, ID number, reason, town)."""

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(24))
    method: Mapped[str] = mapped_column(String(16), default="keypad")
    status: Mapped[str] = mapped_column(String(16), default="asked")
    value: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship(back_populates="captures")


class Recording(Base):
    """Audio Twilio recorded on a call (voicemail or a spoken capture) and its transcript.

    status: pending (stored, not yet queued) -> queued -> transcribing -> one of
    transcribed, no_speech, no_model, unsupported_audio, download_failed, failed;
    absent/failed straight from Twilio's callback when there is no audio.
    """

    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_status", "status"),
        Index("ix_recordings_call_id", "call_id"),  # reports: a period's calls -> recordings
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24), default="voicemail")
    language: Mapped[str | None] = mapped_column(String(8))
    url: Mapped[str | None] = mapped_column(String(500))
    duration_s: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(24), default="pending")
    status_reason: Mapped[str | None] = mapped_column(String(200))
    audio_path: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    words: Mapped[list[Any] | None]
    intent: Mapped[str | None] = mapped_column(String(32))
    intent_score: Mapped[float | None] = mapped_column(Float)
    numbers: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    call: Mapped[Call | None] = relationship(back_populates="recordings")


# -- the people side: advisers, queues, callbacks ---------------------------------------------

ROLES = ("agent", "supervisor", "admin")
AGENT_STATUSES = ("offline", "available", "busy", "after_call", "break")


class User(Base):
    """A helpdesk account: an adviser (agent), a supervisor or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(32))  # where the adviser takes calls
    queues: Mapped[list[Any]] = mapped_column(default=list)  # queue names they serve
    languages: Mapped[list[Any]] = mapped_column(default=list)  # language codes they speak
    status: Mapped[str] = mapped_column(String(16), default="offline")
    status_since: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class LoginSession(Base):
    """A server-side login: the cookie carries only its random id; logout deletes the row."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentStatusChange(Base):
    """Each status an adviser moved into, for occupancy and idle time (METRICS.md)."""

    __tablename__ = "agent_status_changes"
    __table_args__ = (
        Index("ix_agent_status_user_at", "user_id", "at"),
        Index("ix_agent_status_at", "at"),  # reports: a period's changes, all advisers
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueEntry(Base):
    """One leg of a call in one queue, from joining it to leaving it; a transfer starts a new leg.

    status: waiting -> connecting (claimed by an adviser) -> connected -> ended;
    or waiting -> left (outcome abandoned / short_abandon / callback / voicemail).
    outcome (final, METRICS.md): answered, abandoned, short_abandon, callback, voicemail,
    transferred.
    """

    __tablename__ = "queue_entries"
    __table_args__ = (
        Index("ix_queue_entries_waiting", "queue", "status", "priority", "enqueued_at"),
        Index("ix_queue_entries_enqueued_at", "enqueued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    queue: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(default=0)  # higher is served first
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    outcome: Mapped[str | None] = mapped_column(String(16))
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]  # the hold loop last served this caller (ivr/queue/lost_calls.py)
    answered_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]  # left the queue unanswered (hang-up, callback, voicemail)
    ended_at: Mapped[datetime | None]  # the conversation with the adviser ended
    wrapped_at: Mapped[datetime | None]  # after-call work done
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entries.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(32))

    call: Mapped[Call] = relationship()
    agent: Mapped[User | None] = relationship()


class Callback(Base):
    """A caller who asked to be called back, keeping their place in the queue.

    status: pending -> dialing -> connected -> completed; failed after the last attempt.
    A completed callback is the adviser's after-call work until wrapped_at (notes, disposition).
    """

    __tablename__ = "callbacks"
    __table_args__ = (
        Index("ix_callbacks_status", "status", "requested_at"),
        Index("ix_callbacks_waiting", "queue", "status", "priority", "enqueued_at"),
        Index("ix_callbacks_agent_open", "agent_id", "wrapped_at"),  # the desk: the adviser's callback
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    queue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entries.id"))
    queue: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))  # None: erased/expired
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The caller's place in line: when they joined the queue (kept from their QueueEntry),
    # their priority and language, so callbacks are served in order with live callers.
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    priority: Mapped[int] = mapped_column(default=0)
    language: Mapped[str | None] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    wrapped_at: Mapped[datetime | None]  # after-call work done
    notes: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outbound_sid: Mapped[str | None] = mapped_column(String(64))

    call: Mapped[Call] = relationship()


class AuditEntry(Base):
    """One thing a person did with personal data or the set-up: who, what, on which row, when.

    Append-only: the app has no update or delete path for it except the retention purge
    (AUDIT_RETENTION_DAYS). Never holds the personal value itself, only the row's id.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))  # kept as it was, should the account change
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str | None] = mapped_column(String(24))
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(200))  # counts or names of settings, never values


# The report rollup tables live in db/rollup_models.py; importing it here registers them on
# Base.metadata wherever the models are loaded (Alembic, create_all, the tests).
from db import rollup_models as _rollup_models  # noqa: E402, F401
