"""Signing a webhook request as Twilio does (the official library's RequestValidator)."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from tests.support.env import TOKEN

FORM = {"CallSid": "CA" + "b" * 32, "From": "+447700900123", "To": "+18005550100",
        "CallStatus": "ringing", "AccountSid": "AC" + "1" * 32}


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)
