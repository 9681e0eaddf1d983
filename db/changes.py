"""'Something changed in queue X': one Redis PUBLISH after a commit that changed what desks and
the wallboard show, so they refresh now instead of at their next poll (callcenter/desk/events.py
holds the browsers' Server-Sent Events streams that listen).

Rather than a call at every place that changes a queue (a caller joins or leaves, a call is
claimed, answered, ended or transferred, a callback is booked or dialled, an adviser's status
moves), the sessions report it themselves: the rows they flushed name the queue, and a bulk
UPDATE of those tables (claims' conditional updates) or an adviser's status change, whose queue
is not at hand, says "all queues". The message holds queue names only, never personal data.

Redis' pub/sub ignores the database number, so the channel carries it: two deployments (or two
test runs) sharing one Redis server on different databases do not wake each other's desks.
"""

from __future__ import annotations

import logging
from itertools import chain
from typing import Any

from redis import Redis
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from db.broker import redis_for
from db.models import AgentStatusChange, Callback, Capture, Offer, QueueEntry, Recording, User
from db.session import SessionLocal

log = logging.getLogger(__name__)
ALL = "*"  # the change may concern any queue
CHANNEL = "jobline:changes"
_SHOWN = ("status", "queue", "agent_id", "priority")  # a leg's notes typed at the desk wake nobody
_BULK = (QueueEntry.__mapper__, Callback.__mapper__, User.__mapper__, Offer.__mapper__)
_KEY = "jobline.changed_queues"
_target: dict[str, str | None] = {"url": None}


def publish_to(redis_url: str | None) -> None:
    """This process announces its commits on the Redis at `redis_url` (None: to nobody)."""
    _target["url"] = redis_url or None


def channel(redis: Redis) -> str:
    return f"{CHANNEL}:{redis.connection_pool.connection_kwargs.get('db', 0)}"


def announce(queues: set[str] | list[str]) -> None:
    """Publish the changed queues now (one PUBLISH; Redis down: the pages' slow poll catches up)."""
    url = _target["url"]
    if not url or not queues:
        return
    message = ALL if ALL in queues else ",".join(sorted(queues))
    try:
        redis = redis_for(url)
        redis.publish(channel(redis), message)
    except Exception:
        log.warning("could not announce a queue change; desks see it at their next poll")


def _noted(session: Session) -> set[str]:
    return session.info.setdefault(_KEY, set())


def _changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _SHOWN)


@event.listens_for(SessionLocal, "before_flush")
def _note_rows(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, QueueEntry | Callback) and obj.queue:
            if obj not in session.dirty or _changed(obj):
                _noted(session).add(obj.queue)
        elif isinstance(obj, AgentStatusChange):  # an adviser's status: their queues are not at hand
            _noted(session).add(ALL)
        elif isinstance(obj, Recording | Capture) and obj in session.dirty:  # a transcript, an ID
            _noted(session).add(ALL)  # checked, maybe of a waiting caller (made new before queueing)


@event.listens_for(SessionLocal, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    # An offer (callcenter/routing/offers.py) is a bulk INSERT: it rings a desk, so it wakes them.
    offered = state.is_insert and state.bind_mapper is Offer.__mapper__
    if (offered or state.is_update or state.is_delete) and state.bind_mapper in _BULK:
        _noted(state.session).add(ALL)


@event.listens_for(SessionLocal, "after_commit")
def _publish(session: Session) -> None:
    queues = session.info.pop(_KEY, None)
    if queues:
        announce(queues)


@event.listens_for(SessionLocal, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_KEY, None)
