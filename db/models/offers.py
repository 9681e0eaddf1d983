"""Offers: a caller (or a due callback) of an offer-mode queue rung on one adviser's desk.

status: open -> accepted | rejected | missed (not answered within the queue's offer_timeout_s)
| withdrawn (the caller left or was taken, the adviser went busy or off: nobody's doing).
At most one open offer per caller, per callback and per adviser: partial unique indexes, so two
web processes matching at once cannot both offer the same caller or ring the same adviser twice
(the loser's INSERT ... ON CONFLICT DO NOTHING inserts nothing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from db.states import OfferStatus

OPEN = text("status = 'open'")


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (
        Index("ux_offers_open_entry", "entry_id", unique=True, sqlite_where=OPEN, postgresql_where=OPEN),
        Index("ux_offers_open_callback", "callback_id", unique=True, sqlite_where=OPEN,
              postgresql_where=OPEN),
        Index("ux_offers_open_agent", "agent_id", unique=True, sqlite_where=OPEN, postgresql_where=OPEN),
        Index("ix_offers_status", "status", "expires_at"),
        Index("ix_offers_offered_at", "offered_at"),  # reports: a period's offers
        Index("ix_offers_agent", "agent_id", "id"),  # an adviser's latest offers (misses in a row)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("queue_entries.id", ondelete="CASCADE"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id", ondelete="CASCADE"))
    queue: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=OfferStatus.OPEN)
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    sent_away: Mapped[bool] = mapped_column(default=False)  # this miss put the adviser on a break
