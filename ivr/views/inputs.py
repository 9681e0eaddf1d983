"""What a webhook reads besides its path: the app's flow and clock, the keys the caller pressed
(Digits, cut to a sane length) and the retry count its signed action URL carries; and `committed`,
for a step that builds its reply with the request's session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from config.flow import Flow
from db import session as db
from db.models import utcnow
from ivr.engine import MAX_RETRIES
from ivr.telephony.twiml import twiml

MAX_DIGITS = 32


def flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def clock() -> datetime:
    """Now, or the tests' clock (app config CLOCK)."""
    return current_app.config.get("CLOCK", utcnow)()


def digits(limit: int = MAX_DIGITS) -> str:
    return (request.form.get("Digits") or "").strip()[:limit]


def attempt() -> int:
    return min(max(request.args.get("attempt", 0, type=int), 0), MAX_RETRIES)


def committed(step: Callable[..., VoiceResponse]) -> Callable[..., Response]:
    """A step that builds its reply with the request's session: committed, then answered as TwiML."""

    @functools.wraps(step)
    def view(**path: Any) -> Response:
        s = db.current()
        reply = step(s, **path)
        s.commit()
        return twiml(reply)

    return view
