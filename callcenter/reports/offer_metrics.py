"""Offered calls in the reports (issue 16; docs/metrics.md, "Offered calls"): per adviser and per
queue, how many offers were made and how each ended.

An offer belongs to the period in which it was made (offered_at, PES time zone): unlike a queue
leg it is not a part of one call's story but a ring on one desk. Read raw (offers are few: one
per ring), filtered as the other reports are: queue and adviser on the offer, language and
intent on the queue leg it offered (a callback's: the leg it was booked from).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from callcenter.reports.metrics import Filters
from db.models import Callback, Offer, QueueEntry
from db.states import OfferStatus

OFFER_FIGURES: dict[str, tuple[str, str, str]] = {
    "offers": ("Offers", "", "offers made (rows of offers, whatever their outcome) with offered_at in "
               "the period; a caller offered to three advisers in turn counts 3"),
    "offers_accepted": ("Offers accepted", "", "offers with status accepted (the adviser pressed Accept "
                        "in time)"),
    "offers_rejected": ("Offers rejected", "", "offers with status rejected (the adviser pressed Reject)"),
    "offers_missed": ("Offers missed", "", "offers with status missed: neither accepted nor rejected "
                      "within the queue's offer_timeout_s"),
}
PLAIN_OFFERS = {
    "offers": "Times a caller rang on an adviser's desk in an offer-mode queue.",
    "offers_accepted": "Of those, the times the adviser took the call.",
    "offers_rejected": "Of those, the times the adviser passed it on.",
    "offers_missed": "Of those, the times the adviser let it ring out.",
}
_BY_STATUS = {"offers_accepted": OfferStatus.ACCEPTED, "offers_rejected": OfferStatus.REJECTED,
              "offers_missed": OfferStatus.MISSED}
ZERO = dict.fromkeys(OFFER_FIGURES, 0)


def offer_sums(s: Session, f: Filters, by: str) -> dict[Any, dict[str, int]]:
    """OFFER_FIGURES per adviser id (`by="agent"`) or per queue name (`by="queue"`)."""
    o = Offer
    key = o.agent_id if by == "agent" else o.queue
    counts = [func.count().label("offers"),
              *(func.sum(case((o.status == status, 1), else_=0)).label(name)
                for name, status in _BY_STATUS.items())]
    stmt = select(key.label("key"), *counts).where(o.offered_at >= f.start, o.offered_at < f.end)
    if f.queue:
        stmt = stmt.where(o.queue == f.queue)
    if f.agent_id is not None:
        stmt = stmt.where(o.agent_id == f.agent_id)
    if f.language or f.intent:
        leg = func.coalesce(o.entry_id, Callback.queue_entry_id)
        stmt = stmt.outerjoin(Callback, Callback.id == o.callback_id).join(QueueEntry, QueueEntry.id == leg)
        if f.language:
            stmt = stmt.where(QueueEntry.language == f.language)
        if f.intent:
            stmt = stmt.where(QueueEntry.intent == f.intent)
    out: dict[Any, dict[str, int]] = defaultdict(lambda: dict(ZERO))
    for row in s.execute(stmt.group_by(key)):
        out[row.key] = {name: int(getattr(row, name) or 0) for name in OFFER_FIGURES}
    return out


def offer_total(sums: dict[Any, dict[str, int]]) -> dict[str, int]:
    return {name: sum(line[name] for line in sums.values()) for name in OFFER_FIGURES}
