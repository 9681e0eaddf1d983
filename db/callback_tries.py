"""Callback tries that reached no one: why, for the adviser who waited and for the wallboard.

A try fails in the dialler (Twilio refused the create: a REST error, callcenter/routing) or on
the call's own webhooks (busy, no-answer, no 1 pressed, a lost status callback: ivr/queue). Both
note it here as a CallEvent of the call that asked for the callback: the reason is a short code
(`REASONS` of callcenter/desk/failed_tries.py says it in words), never a number or a name.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Callback, CallEvent
from db.states import CallbackStatus

FAILED_TRY = "callback_failed"  # CallEvent.kind
# A try fails within minutes of being dialled (25 s of ringing, two asks for 1, the adviser's
# ring; ivr/queue/lost_calls.py fails a silent one after 5 minutes): an hour covers it well.
TRY_LASTS_AT_MOST = timedelta(hours=1)


def note_failed_try(s: Session, callback: Callback, reason: str, now: datetime) -> None:
    """Record that this try of `callback` failed and why (before its adviser is released)."""
    s.add(CallEvent(call_id=callback.call_id, kind=FAILED_TRY, at=now, node=reason[:64],
                    detail=f"callback {callback.id} agent {callback.agent_id or 0}"))


def last_failed_try(s: Session, agent_id: int, since: datetime) -> tuple[CallEvent, Callback] | None:
    """The latest try that failed while this adviser was reserved for it, since `since`.

    Every idle desk asks on each poll, so the lookup goes through indexed callbacks only: those
    in line again (status, few) or failed and still this adviser's (agent_id, wrapped_at), then
    their calls' events (call_id)."""
    recent = Callback.last_attempt_at >= since - TRY_LASTS_AT_MOST  # the try began before it failed
    mine_failed = (Callback.agent_id == agent_id, Callback.wrapped_at.is_(None),
                   Callback.status == CallbackStatus.FAILED)
    candidates = {*s.scalars(select(Callback).where(Callback.status == CallbackStatus.PENDING, recent)),
                  *s.scalars(select(Callback).where(*mine_failed, recent))}
    if not candidates:
        return None
    by_id = {cb.id: cb for cb in candidates}
    events = s.scalars(select(CallEvent).where(
        CallEvent.call_id.in_({cb.call_id for cb in candidates}), CallEvent.kind == FAILED_TRY,
        CallEvent.at >= since, CallEvent.detail.like(f"% agent {agent_id}"))
        .order_by(CallEvent.at.desc(), CallEvent.id.desc()))
    for event in events:
        callback = by_id.get(int((event.detail or "").split()[1]))
        if callback is not None:
            return event, callback
    return None
