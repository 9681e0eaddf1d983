"""Answers to the question after the call (issue 19; docs/metrics.md, "Caller survey")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class SurveyResponse(Base):
    """One survey offered to a caller after an adviser conversation: asked_at when the question
    was put, score (1-5) and answered_at once a valid key came; a row without a score is a survey
    offered and not answered (it counts in the response rate's denominator).

    The conversation it follows is a queue leg (queue_entry_id) or a callback (callback_id); the
    adviser, queue and language are copied here so the reports group without joins and the row
    keeps its meaning if the leg's adviser is later deleted (agent_id then null).
    """

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_asked_at", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    queue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entries.id", ondelete="SET NULL"),
                                                      unique=True)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id", ondelete="SET NULL"),
                                                   unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queue: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(SmallInteger)
