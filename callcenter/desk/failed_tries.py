"""A callback try that reached no one, on the desk of the adviser who was waiting for it.

While Jobline dials a callback, its adviser's desk says the caller's phone is ringing. When the
try fails (db/callback_tries.py notes why: Twilio refused the call, busy, no answer...), the
adviser is free again and the desk says so in words, with what they can do: try again now, or
mark the caller as not reached (no more tries; supervisors see it among the failed callbacks).
The notice goes when they act, dismiss it, or their status changes (they took another call).
Its buttons are failed_tries_api.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.callback_tries import last_failed_try
from db.models import CallEvent, User
from db.states import CallbackStatus

SHOWN_FOR = timedelta(minutes=30)
SEEN = "callback_fail_seen"  # CallEvent.kind: the adviser acted on the notice
# What the desk says for each reason code. Twilio's error codes: https://www.twilio.com/docs/api/errors
REASONS = {
    "busy": "the line was busy, or the caller declined the call",
    "no-answer": "no one answered",
    "failed": "the call could not be connected (the number may be wrong or out of service)",
    "canceled": "the call was cancelled before anyone answered",
    "hung-up": "the caller picked up but hung up before pressing 1",
    "no-key": "whoever answered did not press 1 (perhaps a voicemail)",
    "adviser-missed": "your phone did not take the call",
    "lost": "Twilio never said how the call ended",
    "fiction": "the number is one kept for drama and tests, which rings no one",
    "unreachable": "Jobline could not reach Twilio to place the call",
    "twilio-21215": "calls to that country are not allowed on the Twilio account",
    "twilio-21211": "the number is not a valid phone number",
    "twilio-13224": "Twilio cannot call that number (it is invalid or not supported)",
    "twilio-21210": "the helpline's caller ID is not a number of the Twilio account",
}


def plain_reason(code: str | None) -> str:
    if code in REASONS:
        return REASONS[code]
    if code and code.startswith("twilio-"):
        return f"Twilio refused the call (error {code.removeprefix('twilio-')})"
    return "the call did not go through"


def failed_try_notice(s: Session, user: User, now: datetime) -> dict[str, Any] | None:
    """The desk's notice of this adviser's latest failed callback try, or None."""
    since = max(now - SHOWN_FOR, user.status_since) if user.status_since else now - SHOWN_FOR
    found = last_failed_try(s, user.id, since)
    if found is None:
        return None
    event, cb = found
    if user.status_since is not None and user.status_since > event.at:
        return None  # moved on since (another call, a break)
    seen = s.scalar(select(CallEvent.id).where(  # acted on: a later SEEN event of the same call
        CallEvent.call_id == event.call_id, CallEvent.kind == SEEN, CallEvent.detail == event.detail,
        CallEvent.id > event.id).limit(1))
    if seen is not None:
        return None
    return {"callback_id": cb.id, "event_id": event.id, "at": event.at.isoformat(), "reason": event.node,
            "text": f"The call to the caller failed: {plain_reason(event.node)}.",
            "status": cb.status, "attempts": cb.attempts,
            "can_retry": cb.status in (CallbackStatus.PENDING, CallbackStatus.FAILED)}


def mark_seen(s: Session, event: CallEvent, what: str) -> None:
    """The adviser acted on the notice of this failed try (it is not shown again)."""
    s.add(CallEvent(call_id=event.call_id, kind=SEEN, node=what, detail=event.detail))
