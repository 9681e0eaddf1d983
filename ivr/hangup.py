"""Ending a live call through Twilio's REST API, for the worker's sweeps (ivr/lost_calls.py).

When Jobline closes a call without Twilio's word (its status callback was lost), the caller may
still be on the line, on hold for ever: the call is ended at Twilio too, by updating it with
Status=completed, which "will attempt to hang up a call even if it's already in progress"
(https://www.twilio.com/docs/api/rest/change-call-state, Call resource:
https://www.twilio.com/docs/voice/api/call-resource). A call Twilio has already ended answers
21220 (not in progress) or 20404 (not found): it is over, which is what we wanted.

The client is built here, not with callcenter/twilio_client.py, because ivr does not import
callcenter (ARCHITECTURE.md); tests hand a `TWILIO_HTTP_CLIENT` in `config`, as there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from config import settings

log = logging.getLogger(__name__)

REST_TIMEOUT_S = 10  # a sweep ends many calls; one slow answer must not hold up the rest long
ALREADY_OVER = {21220, 20404}  # Twilio: "Invalid call state" (not in progress), not found


def worker_config() -> dict[str, Any]:
    """The account the worker ends calls with, from the environment (a worker has no app)."""
    return {"TWILIO_ACCOUNT_SID": settings.account_sid(), "TWILIO_AUTH_TOKEN": settings.auth_token()}


def end_calls(sids: Iterable[str], config: Mapping[str, Any] | None = None) -> int:
    """Ask Twilio to complete each call; returns how many are over at Twilio now.

    Never raises: a call Twilio cannot be asked about is logged (by its SID, never a number)
    and stays as it is at Twilio; our rows are already closed either way.
    """
    sids = [sid for sid in sids if sid]
    if not sids:
        return 0
    config = config if config is not None else worker_config()
    if not config.get("TWILIO_ACCOUNT_SID") or not config.get("TWILIO_AUTH_TOKEN"):
        log.warning("cannot end %d lost calls at Twilio: no Twilio account is configured", len(sids))
        return 0
    http_client = config.get("TWILIO_HTTP_CLIENT") or TwilioHttpClient(timeout=REST_TIMEOUT_S)
    client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client)
    ended = 0
    for sid in sids:
        try:
            client.calls(sid).update(status="completed")
            ended += 1
        except TwilioRestException as e:
            if e.code in ALREADY_OVER:
                ended += 1
            else:
                log.warning("Twilio refused to end call %s (error %s)", sid, e.code)
        except Exception as e:  # Twilio unreachable: the next lost-call sweep does not retry it
            log.warning("could not reach Twilio to end call %s (%s)", sid, type(e).__name__)
    return ended
