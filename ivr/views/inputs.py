"""What a webhook reads besides its path: the app's flow and clock, the keys the caller pressed
(Digits, cut to a sane length) and the retry count its signed action URL carries."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, request

from config.flow import Flow
from db.models import utcnow
from ivr.engine import MAX_RETRIES

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
