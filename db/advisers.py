"""Advisers' statuses (offline, available, busy, after_call, break) and who serves which line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AGENT_STATUSES, AgentStatusChange, User


def set_status(s: Session, agent: User, status: str, now: datetime) -> None:
    """Move an adviser to `status` and record it (occupancy and idle time come from these rows).

    Raises ValueError for a status that is not one of AGENT_STATUSES. Setting the status an
    adviser is already in records nothing. The caller commits.
    """
    if status not in AGENT_STATUSES:
        raise ValueError(f"unknown adviser status {status!r} (use one of {', '.join(AGENT_STATUSES)})")
    if agent.status == status:
        return
    agent.status, agent.status_since = status, now
    s.add(AgentStatusChange(user_id=agent.id, status=status, at=now))


def agents_for(s: Session, queue: str, language: str | None) -> list[User]:
    """Logged-in advisers (status not offline, account active) serving this queue and language.

    queues/languages are JSON lists, queried differently by SQLite and PostgreSQL; the users
    table is small, so one portable query and a filter here.
    """
    users = s.scalars(select(User).where(User.active.is_(True), User.status != "offline")
                      .order_by(User.id)).all()
    return [u for u in users
            if queue in (u.queues or []) and (language is None or language in (u.languages or []))]
