"""Fail-closed X-Twilio-Signature check, with the URL rebuilt exactly as Twilio signed it."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def signed_urls() -> list[str]:
    """The URLs Twilio may have requested: PUBLIC_BASE_URL + the raw path and query, and, behind
    TRUSTED_PROXIES, the address the proxy forwarded (ProxyFix); without PUBLIC_BASE_URL
    (development only) the request's own address.

    The raw request URI is used so that `+`, `%27`, apostrophes and non-ASCII in the query
    string reach the validator byte for byte as Twilio signed them. A Host header here only
    decides which URL a signature is checked against (it cannot make a signature valid without
    the token); URLs we give Twilio never come from it (ivr/telephony/rest.public_url).
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        path = quote(request.environ.get("PATH_INFO", "").encode("latin-1"), safe="/;:@&=+$,'~!*()")
        query = request.environ.get("QUERY_STRING", "")
        raw = f"{path}?{query}" if query else path
    public = (current_app.config["PUBLIC_BASE_URL"] or "").rstrip("/")
    bases = [public] if public else []
    if current_app.config.get("TRUSTED_PROXIES") or not bases:
        bases.append(request.host_url.rstrip("/"))
    return [base + raw for base in dict.fromkeys(bases)]


def _valid(validator: RequestValidator, urls: list[str], signature: str) -> bool:
    """The URL as rebuilt is almost always the one Twilio signed: one HMAC settles it. Otherwise
    the library's full check (with and without the port, a JSON body's hash) decides."""
    for url in urls:
        exact = validator.compute_signature(url, request.form)
        if hmac.compare_digest(exact, signature):
            return True
    return any(validator.validate(url, request.form, signature) for url in urls)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject (403) any request whose signature does not match this URL and body."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
        # request.form reads the body; a body over MAX_CONTENT_LENGTH raises 413 here.
        if not signature or not _valid(validator, signed_urls(), signature):
            log.warning("rejected webhook with a %s signature on %s",
                        "wrong" if signature else "missing", request.path)
            abort(403)
        return view(*args, **kwargs)

    # callcenter/access.py opens a webhook endpoint only to views that carry this mark.
    checked.checks_twilio_signature = True  # type: ignore[attr-defined]
    return checked
