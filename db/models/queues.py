"""Queue legs and callback requests: a caller's place in line and how it ended (METRICS.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow
from db.models.calls import Call
from db.models.people import User
from db.states import CallbackStatus, LegStatus


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
    status: Mapped[str] = mapped_column(String(16), default=LegStatus.WAITING)
    outcome: Mapped[str | None] = mapped_column(String(16))
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]  # the hold loop last served this caller (ivr/queue/lost_calls.py)
    answered_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]  # left the queue unanswered (hang-up, callback, voicemail)
    ended_at: Mapped[datetime | None]  # the conversation with the adviser ended
    wrapped_at: Mapped[datetime | None]  # after-call work done
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entries.id"))
    transfer_note: Mapped[str | None] = mapped_column(Text)  # from the adviser who transferred, for the next
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
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.PENDING)
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

