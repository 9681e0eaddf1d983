"""Hold, mute and consults in a conversation, as the call's events record them: who held the
caller and for how long, whether the adviser is muted now, who they consulted.

Each desk action that Twilio carried out is one event of the call (kind HELD, RESUMED, MUTED,
UNMUTED, CONSULTED, CONSULT_ENDED; node: the leg's queue; detail: the adviser's user id, then
for a consult ":" and the directory code, never a name or number), so the caller's path and the
reports read the same rows. A hold still open counts up to `until` (now, or the end of the
conversation). Definitions: docs/metrics.md, "Hold and consults".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.flow import Flow
from db.models import CallEvent, QueueEntry, User
from db.rooms import room_sid

HELD, RESUMED, MUTED, UNMUTED = "held", "resumed", "muted", "unmuted"
CONSULTED, CONSULT_ENDED, HANDED_ON = "consulted", "consult_ended", "handed_on"
KINDS = (HELD, RESUMED, MUTED, UNMUTED, CONSULTED, CONSULT_ENDED, HANDED_ON)
NO_ADVISER_NAME = "an adviser"  # the account was since removed


@dataclass
class Conversation:
    on_hold: bool
    muted: bool
    hold_s: int  # seconds the caller spent on hold in this conversation so far
    holds: int  # how many times they were put on hold
    consults: int  # how many times the adviser brought someone in
    consulting: str | None  # the directory code of the party on the line with the adviser now


def events_of(s: Session, entry: QueueEntry) -> list[CallEvent]:
    """The hold and mute events of this leg's conversation (those since it was answered)."""
    since = entry.answered_at or entry.enqueued_at
    return list(s.scalars(select(CallEvent).where(CallEvent.call_id == entry.call_id,
                                                  CallEvent.kind.in_(KINDS), CallEvent.at >= since)
                          .order_by(CallEvent.at, CallEvent.id)))


def conversation(events: Sequence[CallEvent], until: datetime) -> Conversation:
    """Hold state and seconds from the events, oldest first; an open hold runs to `until`."""
    held_at: datetime | None = None
    muted, total, holds, consults, consulting = False, 0.0, 0, 0, None
    for ev in events:
        if ev.kind == CONSULTED:
            consults, consulting = consults + 1, (ev.detail or "").partition(":")[2] or None
        elif ev.kind in (CONSULT_ENDED, HANDED_ON):
            consulting = None
        if ev.kind == HELD and held_at is None:
            held_at, holds = ev.at, holds + 1
        elif ev.kind == RESUMED and held_at is not None:
            total += (ev.at - held_at).total_seconds()
            held_at = None
        elif ev.kind in (MUTED, UNMUTED):
            muted = ev.kind == MUTED
    if held_at is not None:
        total += max(0.0, (until - held_at).total_seconds())
    return Conversation(on_hold=held_at is not None, muted=muted, hold_s=round(total), holds=holds,
                        consults=consults, consulting=consulting)


def conversation_of(s: Session, entry: QueueEntry, now: datetime) -> dict[str, object]:
    """What the desk shows of a conversation: whether it is in a conference room (only then can
    it be held, muted or consulted on), hold, mute, and who else is on the line."""
    talk = conversation(events_of(s, entry), now)
    return {"id": entry.id, "room": room_sid(s, entry.call_id) is not None, "on_hold": talk.on_hold,
            "muted": talk.muted, "hold_s": talk.hold_s, "consults": talk.consults,
            "consulting": talk.consulting}


def hold_steps(s: Session, flow: Flow, call_id: int) -> list[dict[str, object]]:
    """The call's holds, consults and hand-ons to directory lines as steps of the caller's path:
    "Put on hold by Ana" (and for how long), "Ana consulted Housing benefit office",
    "Transferred by Ana to Housing benefit office"."""
    events = s.scalars(select(CallEvent).where(CallEvent.call_id == call_id,
                                               CallEvent.kind.in_((HELD, RESUMED, CONSULTED, HANDED_ON)))
                       .order_by(CallEvent.at, CallEvent.id)).all()
    ids = {int(uid) for ev in events if (uid := (ev.detail or "").partition(":")[0]).isdigit()}
    names = {u.id: u.name for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    steps: list[dict[str, object]] = []
    held: tuple[CallEvent, dict[str, object]] | None = None
    for ev in events:
        uid, _, code = (ev.detail or "").partition(":")
        who = names.get(int(uid)) if uid.isdigit() else None
        line = flow.directory[code].label if code in flow.directory else "an outside line"
        if ev.kind == HELD and held is None:
            step: dict[str, object] = {"key": None, "kind": "hold", "seconds": None, "by": who,
                                       "label": f"Put on hold by {who or NO_ADVISER_NAME}"}
            held = ev, step
            steps.append(step)
        elif ev.kind == RESUMED and held is not None:
            held[1]["seconds"] = round((ev.at - held[0].at).total_seconds())
            held = None
        elif ev.kind == CONSULTED:
            steps.append({"key": None, "kind": "consult", "by": who, "to": line,
                          "label": f"{who or 'An adviser'} consulted {line}"})
        elif ev.kind == HANDED_ON:
            steps.append({"key": None, "kind": "transfer", "by": who, "to": line, "note": None,
                          "label": f"Transferred by {who or NO_ADVISER_NAME} to {line}"})
    return steps
