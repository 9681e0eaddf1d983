"""The rows of a phone call: callers, calls, what happened in them, captures and recordings.

Phone numbers and ID numbers are personal data: they live in these rows and nowhere else (never
in logs, URLs or job arguments).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow
from db.states import CallStatus, CaptureStatus, RecordingStatus


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
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.IN_PROGRESS)
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
    status: Mapped[str] = mapped_column(String(16), default=CaptureStatus.ASKED)
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
    status: Mapped[str] = mapped_column(String(24), default=RecordingStatus.PENDING)
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

