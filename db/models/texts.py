"""Texts sent to callers: information messages by SMS (issue 19), asked for in the IVR or sent by
an adviser.

A row holds no personal data of its own: which message (the flow's node), in which language,
its status and Twilio's error code. The number it went to is the call's caller's
(Call.caller.phone), so retention and erasure, which clear that number, leave these rows
anonymous as they leave the call rows; a call deleted takes its texts with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow
from db.models.calls import Call
from db.states import TextStatus


class TextMessage(Base):
    __tablename__ = "text_messages"
    __table_args__ = (Index("ix_text_messages_requested_at", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(64))  # the flow's node whose `sms` text it is
    language: Mapped[str] = mapped_column(String(8))
    sent_by: Mapped[str] = mapped_column(String(8), default="caller")  # caller (the IVR key) or adviser
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=TextStatus.REQUESTED)
    sid: Mapped[str | None] = mapped_column(String(64))  # Twilio's SM... once created
    error_code: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship()
