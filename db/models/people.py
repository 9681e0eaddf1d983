"""The people side: helpdesk accounts (advisers, supervisors, admins), their logins and statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from db.states import AdviserStatus, Role


class User(Base):
    """A helpdesk account: an adviser (agent), a supervisor or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(32))  # where the adviser takes calls
    queues: Mapped[list[Any]] = mapped_column(default=list)  # queue names they serve
    languages: Mapped[list[Any]] = mapped_column(default=list)  # language codes they speak
    status: Mapped[str] = mapped_column(String(16), default=AdviserStatus.OFFLINE)
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
