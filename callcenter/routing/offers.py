"""Offered calls: in a queue with `mode: offer`, Jobline rings the next caller on one adviser's
desk at a time instead of listing them for anyone to take (issue 16).

Who: the longest-idle adviser (available the longest: `status_since`) who serves the caller's
queue and language by the same rule a claim checks (claims.claim), callers in the order a claim
takes them (priority, then arrival, across queues). A due callback of an offer-mode queue (its
turn as callbacks.due_callbacks decides) is offered the same way: the adviser accepts before
Jobline dials the caller (Amazon Connect's agent-first callback).

At most one open offer per caller, per callback and per adviser is the database's rule (partial
unique indexes, db/models/offers.py): an offer is an INSERT ... ON CONFLICT DO NOTHING, and an
answer is a conditional UPDATE ... WHERE status = 'open', so web processes matching at once, on
SQLite or PostgreSQL, never offer one caller twice nor ring one adviser with two.

When: `match` runs whenever a desk asks for its state (a caller joining wakes every desk of the
queue through the change feed, db/changes.py), when an offer is rejected, and every TICK_S from
the worker's timer (`offer_calls`), so an unanswered offer moves on within about its timeout
even when no desk is looking. An offer not answered within the queue's offer_timeout_s is
missed; after `offers.misses_before_away` misses in a row the adviser is put on a break, with
the reason on their desk. A rejecting or missing adviser is not offered the same caller again
until that queue's timeout has passed once more.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callcenter.routing import callbacks, claims
from config import settings
from config.flow import Flow, load_flow
from db import session as db
from db.advisers import set_status
from db.models import Callback, Offer, QueueEntry, User
from db.states import OFFER_ANSWERED, AdviserStatus, CallbackStatus, LegStatus, OfferStatus

log = logging.getLogger(__name__)
TICK_S = 5  # the worker's timer: how late an unanswered offer may move on when no desk looks
MATCH_LOCK = 16_0001  # PostgreSQL advisory lock key of the matcher (issue 16)


class OfferGone(RuntimeError):
    """The offer is no longer the adviser's to answer; the message says why, for the adviser."""


def offer_queues(flow: Flow) -> list[str]:
    """The queues whose callers are offered (not taken from the list)."""
    return [q.name for q in flow.queues.values() if q.mode == "offer"]


def serves(agent: User, queue: str, language: str | None) -> bool:
    """claims.claim's rule: the adviser's queue, and their language when both have one."""
    if queue not in (agent.queues or []):
        return False
    return not (agent.languages and language and language not in agent.languages)


def open_offer(s: Session, agent_id: int) -> Offer | None:
    return s.scalar(select(Offer).where(Offer.agent_id == agent_id, Offer.status == OfferStatus.OPEN))


def _end(s: Session, offer_id: int, status: str, now: datetime, *, agent_id: int | None = None,
         before: datetime | None = None) -> bool:
    """Close an open offer; False when it was no longer open (someone else closed it first)."""
    where = [Offer.id == offer_id, Offer.status == OfferStatus.OPEN]
    if agent_id is not None:
        where.append(Offer.agent_id == agent_id)
    if before is not None:  # only while it has not run out
        where.append(Offer.expires_at > before)
    return s.execute(update(Offer).where(*where).values(status=status, ended_at=now)
                     .execution_options(synchronize_session=False)).rowcount == 1


def _misses_in_a_row(s: Session, agent_id: int, limit: int) -> int:
    latest = s.scalars(select(Offer.status).where(
        Offer.agent_id == agent_id, Offer.status.in_((*OFFER_ANSWERED, OfferStatus.MISSED)))
        .order_by(Offer.id.desc()).limit(limit)).all()
    misses = 0
    for status in latest:
        if status != OfferStatus.MISSED:
            break
        misses += 1
    return misses


def _missed(s: Session, flow: Flow, offer: Offer, now: datetime) -> None:
    limit = flow.offers.misses_before_away
    if _misses_in_a_row(s, offer.agent_id, limit) < limit:
        return
    agent = s.get(User, offer.agent_id)
    if agent is not None and agent.status == AdviserStatus.AVAILABLE:
        set_status(s, agent, AdviserStatus.BREAK, now)
        s.execute(update(Offer).where(Offer.id == offer.id).values(sent_away=True))


def close_stale(s: Session, flow: Flow, now: datetime) -> int:
    """Withdraw the open offers nobody can answer any more, and close those that ran out as
    missed (putting an adviser who keeps missing on a break). Returns how many were closed."""
    closed = 0
    for offer in s.scalars(select(Offer).where(Offer.status == OfferStatus.OPEN)).all():
        agent = s.get(User, offer.agent_id)
        if offer.entry_id is not None:
            status = s.scalar(select(QueueEntry.status).where(QueueEntry.id == offer.entry_id))
            gone = status != LegStatus.WAITING
        else:
            status = s.scalar(select(Callback.status).where(Callback.id == offer.callback_id))
            gone = status != CallbackStatus.PENDING
        if gone or agent is None or not agent.active or agent.status != AdviserStatus.AVAILABLE:
            closed += _end(s, offer.id, OfferStatus.WITHDRAWN, now)
        elif offer.expires_at <= now and _end(s, offer.id, OfferStatus.MISSED, now):
            closed += 1
            _missed(s, flow, offer, now)
    return closed


def _free_advisers(s: Session) -> list[User]:
    """Available advisers without an open offer, the longest idle first."""
    ringing = select(Offer.agent_id).where(Offer.status == OfferStatus.OPEN)
    return list(s.scalars(select(User).where(
        User.active.is_(True), User.status == AdviserStatus.AVAILABLE, User.id.not_in(ringing))
        .order_by(User.status_since, User.id)).all())


def _declined_lately(s: Session, flow: Flow, now: datetime, queue: str, **target: int) -> set[int]:
    """Advisers who rejected or missed this caller (or callback) within the queue's timeout."""
    since = now - timedelta(seconds=flow.queues[queue].offer_timeout_s)
    column = Offer.entry_id if "entry_id" in target else Offer.callback_id
    return set(s.scalars(select(Offer.agent_id).where(
        column == next(iter(target.values())), Offer.status.in_((OfferStatus.REJECTED, OfferStatus.MISSED)),
        Offer.ended_at > since)).all())


def _insert(s: Session, flow: Flow, queue: str, agent: User, now: datetime, **target: int) -> bool:
    """One open offer, unless the database already holds one for this caller or adviser."""
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    expires = now + timedelta(seconds=flow.queues[queue].offer_timeout_s)
    stmt = dialect.insert(Offer).values(queue=queue, agent_id=agent.id, status=OfferStatus.OPEN,
                                        offered_at=now, expires_at=expires, sent_away=False, **target)
    # RETURNING, not rowcount: psycopg's rowcount of an ORM-run INSERT is not the rows inserted.
    return s.execute(stmt.on_conflict_do_nothing().returning(Offer.id)).first() is not None


def _offer_each(s: Session, flow: Flow, now: datetime, free: list[User],
                waiting: list[tuple[str, str | None, dict[str, int]]]) -> int:
    made = 0
    for queue, language, target in waiting:
        able = [a for a in free if serves(a, queue, language)]
        if not able:
            continue
        declined = _declined_lately(s, flow, now, queue, **target)
        for agent in [a for a in able if a.id not in declined]:
            if _insert(s, flow, queue, agent, now, **target):
                made += 1
                free.remove(agent)
                break
            column = Offer.entry_id if "entry_id" in target else Offer.callback_id
            if s.scalar(select(Offer.id).where(column == next(iter(target.values())),
                                               Offer.status == OfferStatus.OPEN)) is not None:
                break  # another process offered this caller meanwhile
            free.remove(agent)  # another process rang this adviser meanwhile
        if not free:
            break
    return made


def _turn_to_match(s: Session) -> bool:
    """PostgreSQL: one matcher at a time (a transaction's advisory lock; busy: the other one's
    commit wakes the desks). Two matchers inserting crosswise could otherwise deadlock on the
    unique indexes, each waiting for the other's row; the indexes still forbid double offers.
    SQLite writes one at a time already."""
    if s.get_bind().dialect.name != "postgresql":
        return True
    return bool(s.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": MATCH_LOCK}))


def match(s: Session, flow: Flow, now: datetime, retry_s: int | None = None) -> int:
    """Close stale offers, then offer waiting callers and due callbacks of offer-mode queues to
    free advisers. Returns how many offers were closed or made (0: nothing changed). The caller
    commits."""
    queues = offer_queues(flow)
    if not queues or not _turn_to_match(s):
        return 0
    changed = close_stale(s, flow, now)
    free = _free_advisers(s)
    if not free:
        return changed
    offered = select(Offer.entry_id).where(Offer.status == OfferStatus.OPEN, Offer.entry_id.is_not(None))
    entries = s.scalars(select(QueueEntry).where(
        QueueEntry.status == LegStatus.WAITING, QueueEntry.queue.in_(queues), QueueEntry.id.not_in(offered))
        .order_by(*claims.ORDER)).all()
    changed += _offer_each(s, flow, now, free, [(e.queue, e.language, {"entry_id": e.id}) for e in entries])
    if free:
        retry = retry_s if retry_s is not None else settings.CALLBACK_RETRY_S
        ringing = set(s.scalars(select(Offer.callback_id).where(Offer.status == OfferStatus.OPEN,
                                                                 Offer.callback_id.is_not(None))).all())
        due = [cb for cb in callbacks.due_callbacks(s, flow, now, retry, offered=True)
               if cb.id not in ringing]
        changed += _offer_each(s, flow, now, free, [(cb.queue, cb.language, {"callback_id": cb.id})
                                                    for cb in due])
    return changed


def accept(s: Session, offer_id: int, agent: User, now: datetime) -> Offer:
    """The adviser takes the offered caller: the offer is accepted and the caller claimed through
    claims.claim (a callback: the adviser reserved for it, callbacks.reserve). The caller commits,
    then connects (claims.connect) or dials (callbacks.dial_reserved). Raises OfferGone."""
    offer = s.get(Offer, offer_id)
    if offer is None or offer.agent_id != agent.id:
        raise LookupError("No call is offered to you with this number; your desk shows the current offer.")
    if agent.status != AdviserStatus.AVAILABLE:
        raise OfferGone(f"You are {agent.status.replace('_', ' ')} now: set yourself Available to take "
                        "offered calls.")
    if not _end(s, offer.id, OfferStatus.ACCEPTED, now, agent_id=agent.id, before=now):
        raise OfferGone("This call is no longer offered to you: it ran out of time or the caller "
                        "moved on. Your desk rings with the next one.")
    if offer.entry_id is not None:
        if claims.claim(s, agent, offer.entry_id, now) is None:
            raise OfferGone("The caller hung up or was taken meanwhile; your desk rings with the next one.")
    else:
        cb = s.get(Callback, offer.callback_id)
        if cb is None or not callbacks.reserve(s, cb, agent, now):
            raise OfferGone("This callback was taken meanwhile, or you are no longer available; "
                            "set yourself Available to be offered the next one.")
    s.refresh(offer)
    return offer


def reject(s: Session, flow: Flow, offer_id: int, agent: User, now: datetime) -> None:
    """The adviser passes: the caller is offered to the next adviser (not this one, for now).
    Raises LookupError (not theirs) or OfferGone (already over). The caller commits."""
    offer = s.get(Offer, offer_id)
    if offer is None or offer.agent_id != agent.id:
        raise LookupError("No call is offered to you with this number; your desk shows the current offer.")
    if not _end(s, offer.id, OfferStatus.REJECTED, now, agent_id=agent.id):
        raise OfferGone("This call is no longer offered to you; nothing to reject.")
    match(s, flow, now)


@lru_cache(maxsize=1)
def _flow_file() -> Flow:
    return load_flow(settings.IVR_FILE)


def offer_calls() -> int:
    """RQ job: move unanswered offers on and offer waiting callers (safe to run twice)."""
    db.configure(settings.database_url())
    with db.SessionLocal.begin() as s:
        return match(s, _flow_file(), datetime.now(UTC))


def register_cron(scheduler: Any) -> None:
    """The callback dialler's timer (callbacks.register_cron) and this module's, every TICK_S."""
    callbacks.register_cron(scheduler)
    scheduler.register(offer_calls, queue_name=callbacks.CALLBACK_QUEUE, interval=TICK_S, job_timeout=60,
                       result_ttl=300, failure_ttl=7 * 24 * 3600)
