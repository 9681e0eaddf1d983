"""Advisers: who serves a line, and the one way an adviser's status changes.

Both the IVR (hold messages, callback offers, connecting a caller) and the desk (claims,
callbacks, logins) use these rules; they live here so that both may import them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import AgentStatusChange, User
from db.states import AGENT_STATUSES, AdviserStatus


def serving(s: Session, queue: str, language: str | None) -> list[User]:
    """Logged-in advisers (any status but offline, account active) who serve this queue and
    language (any language when None), in id order.

    The users table is small and queues/languages are JSON lists, which SQLite and PostgreSQL
    query differently: filtering in Python keeps one portable query.
    """
    users = s.scalars(select(User).where(User.active.is_(True), User.status != AdviserStatus.OFFLINE)
                      .order_by(User.id)).all()
    return [u for u in users
            if queue in (u.queues or []) and (language is None or language in (u.languages or []))]


def set_status(s: Session, agent: User | int | None, status: str, at: datetime) -> None:
    """Move an adviser to `status` and record the move (occupancy and idle time come from these
    rows); moving an adviser to the status they are in records nothing. The caller commits.

    `agent` is a User row, or an id (None: no adviser, nothing happens): by id the change is one
    conditional UPDATE, so two requests moving the same adviser record one change.
    Raises ValueError for a status that is not an AdviserStatus.
    """
    if status not in AGENT_STATUSES:
        raise ValueError(f"unknown adviser status {status!r} (use one of {', '.join(AGENT_STATUSES)})")
    if agent is None:
        return
    if isinstance(agent, User):
        if agent.status == status:
            return
        agent.status, agent.status_since = status, at
        s.add(AgentStatusChange(user_id=agent.id, status=status, at=at))
        return
    changed = s.execute(update(User).where(User.id == agent, User.status != status)
                        .values(status=status, status_since=at)).rowcount
    if changed:
        s.add(AgentStatusChange(user_id=agent, status=status, at=at))
