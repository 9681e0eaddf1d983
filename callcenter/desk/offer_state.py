"""What the desk shows of offered calls (callcenter/routing/offers.py): the call ringing on this
adviser's desk with its summary and time left, and why they were put on a break if they missed
offers in a row. Each desk's fetch of its state also runs the matching, in a session of its own,
so a caller who joined (the change feed wakes the desks) is offered within the second.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from callcenter.desk.summary import callback_summary, full_summary, iso
from callcenter.routing import offers
from config.flow import Flow
from db import session as db
from db.models import Callback, Offer, QueueEntry, User
from db.states import AdviserStatus

log = logging.getLogger(__name__)


def match_now(flow: Flow, now: datetime) -> bool:
    """Close stale offers and make new ones, committed at once; True when anything changed.
    A failure is logged: the worker's timer matches again within offers.TICK_S."""
    if not offers.offer_queues(flow):
        return False
    try:
        with db.SessionLocal.begin() as s:
            return offers.match(s, flow, now) > 0
    except Exception:
        log.exception("matching offered calls failed; the worker's timer tries again")
        return False


def offer_json(s: Any, flow: Flow, user: User, now: datetime) -> dict[str, Any] | None:
    """The call offered to `user` now: id, kind, queue, when it runs out, the caller's summary."""
    offer = offers.open_offer(s, user.id)
    if offer is None or offer.expires_at <= now:
        return None
    if offer.entry_id is not None:
        summary = full_summary(s, flow, s.get(QueueEntry, offer.entry_id), now)
    else:
        summary = callback_summary(s, flow, s.get(Callback, offer.callback_id), now)
    return {"id": offer.id, "kind": summary["kind"], "queue": offer.queue,
            "offered_at": iso(offer.offered_at), "expires_at": iso(offer.expires_at),
            "timeout_s": flow.queues[offer.queue].offer_timeout_s,
            "seconds_left": max(0, int((offer.expires_at - now).total_seconds())), "summary": summary}


def away_reason(s: Any, flow: Flow, user: User) -> str | None:
    """Why Jobline put this adviser on a break, while they are still on it."""
    if user.status != AdviserStatus.BREAK:
        return None
    sent = s.scalar(select(Offer).where(Offer.agent_id == user.id, Offer.sent_away.is_(True))
                    .order_by(Offer.id.desc()).limit(1))
    if sent is None or sent.ended_at is None or sent.ended_at < user.status_since:
        return None
    return (f"You missed {flow.offers.misses_before_away} offered calls in a row, so Jobline put you on "
            "a break. Choose Available when you are ready to take calls again.")


def mark_offer_only(flow: Flow, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Waiting rows of offer-mode queues are listed, not taken: `offered_only` says so."""
    for row in rows:
        queue = flow.queues.get(row["queue"])
        row["offered_only"] = queue is not None and queue.mode == "offer"
    return rows
