"""Hold and mute in a conversation, as the call's events record them: who held the caller, for
how long, and whether the adviser's microphone is muted now.

Each desk action that Twilio carried out is one event of the call (kind HELD, RESUMED, MUTED,
UNMUTED; node: the leg's queue; detail: the adviser's user id, never a name or number), so the
caller's path and the reports read the same rows. A hold still open counts up to `until` (now,
or the end of the conversation). Definitions: docs/metrics.md, "Hold".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CallEvent, QueueEntry, User

HELD, RESUMED, MUTED, UNMUTED = "held", "resumed", "muted", "unmuted"
KINDS = (HELD, RESUMED, MUTED, UNMUTED)
NO_ADVISER_NAME = "an adviser"  # the account was since removed


@dataclass
class Conversation:
    on_hold: bool
    muted: bool
    hold_s: int  # seconds the caller spent on hold in this conversation so far
    holds: int  # how many times they were put on hold


def events_of(s: Session, entry: QueueEntry) -> list[CallEvent]:
    """The hold and mute events of this leg's conversation (those since it was answered)."""
    since = entry.answered_at or entry.enqueued_at
    return list(s.scalars(select(CallEvent).where(CallEvent.call_id == entry.call_id,
                                                  CallEvent.kind.in_(KINDS), CallEvent.at >= since)
                          .order_by(CallEvent.at, CallEvent.id)))


def conversation(events: Sequence[CallEvent], until: datetime) -> Conversation:
    """Hold state and seconds from the events, oldest first; an open hold runs to `until`."""
    held_at: datetime | None = None
    muted, total, holds = False, 0.0, 0
    for ev in events:
        if ev.kind == HELD and held_at is None:
            held_at, holds = ev.at, holds + 1
        elif ev.kind == RESUMED and held_at is not None:
            total += (ev.at - held_at).total_seconds()
            held_at = None
        elif ev.kind in (MUTED, UNMUTED):
            muted = ev.kind == MUTED
    if held_at is not None:
        total += max(0.0, (until - held_at).total_seconds())
    return Conversation(on_hold=held_at is not None, muted=muted, hold_s=round(total), holds=holds)


def hold_steps(s: Session, call_id: int) -> list[dict[str, object]]:
    """Each hold of the call as a step of the caller's path: "Put on hold by Ana", and how long."""
    events = s.scalars(select(CallEvent).where(CallEvent.call_id == call_id,
                                               CallEvent.kind.in_((HELD, RESUMED)))
                       .order_by(CallEvent.at, CallEvent.id)).all()
    ids = {int(ev.detail) for ev in events if ev.detail and ev.detail.isdigit()}
    names = {u.id: u.name for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    steps: list[dict[str, object]] = []
    held: CallEvent | None = None
    for ev in events:
        who = names.get(int(ev.detail)) if ev.detail and ev.detail.isdigit() else None
        if ev.kind == HELD and held is None:
            held = ev
            steps.append({"key": None, "kind": "hold", "label": f"Put on hold by {who or NO_ADVISER_NAME}",
                          "by": who, "seconds": None})
        elif ev.kind == RESUMED and held is not None:
            steps[-1]["seconds"] = round((ev.at - held.at).total_seconds())
            held = None
    return steps
