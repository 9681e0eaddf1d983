"""The audit trail: who did what with personal data or the set-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


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

