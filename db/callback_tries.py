"""Callback tries that reached no one: why, for the adviser who waited and for the wallboard.

A try fails in the dialler (Twilio refused the create: a REST error, callcenter/routing) or on
the call's own webhooks (busy, no-answer, no 1 pressed, a lost status callback: ivr/queue). Both
note it here as a CallEvent of the call that asked for the callback: the reason is a short code
(`REASONS` of callcenter/desk/failed_tries.py says it in words), never a number or a name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Callback, CallEvent

FAILED_TRY = "callback_failed"  # CallEvent.kind


def note_failed_try(s: Session, callback: Callback, reason: str, now: datetime) -> None:
    """Record that this try of `callback` failed and why (before its adviser is released)."""
    s.add(CallEvent(call_id=callback.call_id, kind=FAILED_TRY, at=now, node=reason[:64],
                    detail=f"callback {callback.id} agent {callback.agent_id or 0}"))


def last_failed_try(s: Session, agent_id: int, since: datetime) -> tuple[CallEvent, Callback] | None:
    """The latest try that failed while this adviser was reserved for it, since `since`."""
    event = s.scalar(select(CallEvent).where(
        CallEvent.kind == FAILED_TRY, CallEvent.at >= since, CallEvent.detail.like(f"% agent {agent_id}"))
        .order_by(CallEvent.at.desc(), CallEvent.id.desc()).limit(1))
    if event is None:
        return None
    callback = s.get(Callback, int((event.detail or "").split()[1]))
    return (event, callback) if callback is not None else None
