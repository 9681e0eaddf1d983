"""The one place a Twilio REST client is built.

Production code asks `twilio_client(app.config)`; tests hand the app a `TWILIO_HTTP_CLIENT`
(the twilio library's documented extension point) that points at a local mock of Twilio's API.
Nothing else in Jobline knows whether it talks to Twilio or to the mock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from config.settings import ConfigError

REST_TIMEOUT_S = 10  # an adviser is waiting on the click: fail fast rather than hang a request


def twilio_client(config: Mapping[str, Any]) -> Client:
    """A REST client from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (ConfigError names what is missing)."""
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    for name, value in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token)):
        if not value:
            raise ConfigError(f"{name} is not set: Jobline needs it to place and redirect calls")
    http_client = config.get("TWILIO_HTTP_CLIENT") or TwilioHttpClient(timeout=REST_TIMEOUT_S)
    return Client(sid, token, http_client=http_client)


def public_url(config: Mapping[str, Any], path: str) -> str:
    """An absolute URL of one of our webhooks, as Twilio must be given it in REST calls.

    Always on PUBLIC_BASE_URL, never on the Host header of the request being served: a forged
    Host on an adviser's click would have Twilio fetch a live caller's next instructions from
    another server. Raises ConfigError without it (production refuses to boot without it).
    """
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base:
        raise ConfigError("PUBLIC_BASE_URL is not set: Twilio needs the public https address of "
                          "Jobline to fetch the TwiML of redirected and outbound calls")
    return base + path

