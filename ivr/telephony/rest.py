"""The one place a Twilio REST client is built, and the REST rules both sides use.

Production code asks `twilio_client(config)` (the app's config, or `worker_config()` in a
worker); tests hand a `TWILIO_HTTP_CLIENT` (the twilio library's documented extension point)
that points at a local mock of Twilio's API. Nothing else in Jobline knows whether it talks to
Twilio or to the mock. A leaf of ivr: the desk (callcenter) and the worker's sweeps
(ivr/queue/lost_calls.py) both end calls with `end_call`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from config import settings
from config.settings import ConfigError

log = logging.getLogger(__name__)
# An adviser waits on the click, a sweep ends many calls: fail fast rather than hang.
REST_TIMEOUT_S = 10
CALL_OVER = {21220, 20404}  # Twilio's answers about a call that has ended: not in progress, not found


def worker_config() -> dict[str, Any]:
    """The account a worker (which has no app) talks to Twilio with, from the environment."""
    return {"TWILIO_ACCOUNT_SID": settings.account_sid(), "TWILIO_AUTH_TOKEN": settings.auth_token()}


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


def end_call(config: Mapping[str, Any], sid: str | None) -> bool:
    """Hang up a live call through Twilio's REST API; True when it is over at Twilio.

    Status=completed "will attempt to hang up a call even if it's already in progress"
    (https://www.twilio.com/docs/api/rest/change-call-state). Call it after commit. Never
    raises: the desk has already recorded the end, so a refusal or an unreachable Twilio is
    logged (by the call's SID, never a number) and the call left as it is.
    """
    if not sid:
        return False
    try:
        twilio_client(config).calls(sid).update(status="completed")
    except TwilioRestException as e:
        if e.code in CALL_OVER:
            return True
        log.warning("Twilio refused to end call %s (error %s)", sid, e.code)
        return False
    except Exception as e:
        log.warning("could not ask Twilio to end call %s (%s)", sid, type(e).__name__)
        return False
    return True


def redirect_call(config: Mapping[str, Any], sid: str | None, path: str) -> bool:
    """Send a live call to one of our webhooks (`path`, on PUBLIC_BASE_URL); True when Twilio took it.

    Url: "Twilio will immediately redirect the call to the new TwiML"
    (http://www.twilio.com/docs/api/rest/change-call-state); a call in a <Dial> leaves it, so the
    other leg is hung up. Call it after commit. Never raises: a refusal is logged (by SID) and
    False returned, so the caller can end the call instead.
    """
    if not sid:
        return False
    try:
        twilio_client(config).calls(sid).update(url=public_url(config, path), method="POST")
    except TwilioRestException as e:
        if e.code not in CALL_OVER:
            log.warning("Twilio refused to redirect call %s (error %s)", sid, e.code)
        return False
    except Exception as e:
        log.warning("could not ask Twilio to redirect call %s (%s)", sid, type(e).__name__)
        return False
    return True
