"""Calls Jobline places to a web phone: the ring the page shows, kept in Redis until answered.

A callback (routing's dialler, in the worker) creates its call through Twilio's REST API. When it
is To a web-phone caller's demo number (`demo_slot`), the bridge (bridge.py) answers the create
as Twilio would and records a ring here for the page of the user owning that number: the call's
SID, Url and StatusCallback, its Timeout, and From/To (the webhook parameters need them; nothing
else keeps them). The key holds the number's slot (000-999), never the number, and the ring
expires on its own a minute after its Timeout. What happens next (answer, decline, no answer)
is ringing.py, on the page's requests.
"""

from __future__ import annotations

import json
import time
import uuid
from email.utils import formatdate
from typing import Any

from db.broker import redis_for
from ivr.telephony.numbers import FICTION_MOBILE
from ivr.telephony.simulator import Phone

# Twilio rings for Timeout seconds, 60 when absent ("The default is `60` seconds", Twilio's API
# v2010 spec for Calls.create, https://www.twilio.com/docs/voice/api/call-resource).
DEFAULT_TIMEOUT_S = 60
KEPT_AFTER_TIMEOUT_S = 60  # the page's next poll reports the no-answer; then the ring goes


def demo_slot(number: str | None) -> int | None:
    """The slot of a web phone's demo number (views.demo_number), e.g. '+447700900007' -> 7."""
    rest = (number or "").removeprefix(FICTION_MOBILE)
    if number and number.startswith(FICTION_MOBILE) and len(rest) == 3 and rest.isdigit():
        return int(rest)
    return None


def _key(slot: int) -> str:
    return f"jobline:webphone:ring:{slot:03d}"


def record_ring(redis_url: str, slot: int, account: str, form: dict[str, str]) -> dict[str, Any]:
    """Keep a new outbound call to this slot for its page; returns the call resource Twilio
    answers a create with (201, status queued: twilio_api_v2010 `api.v2010.account.call`)."""
    sid = "CA" + uuid.uuid4().hex
    timeout = int(form.get("Timeout") or DEFAULT_TIMEOUT_S)
    ring = {"sid": sid, "account": account, "from": form.get("From", ""), "to": form.get("To", ""),
            "url": form.get("Url", ""), "status_callback": form.get("StatusCallback", ""),
            "timeout": timeout, "until": time.time() + timeout}
    redis_for(redis_url).set(_key(slot), json.dumps(ring), ex=timeout + KEPT_AFTER_TIMEOUT_S)
    now = formatdate(usegmt=True)
    uri = f"/2010-04-01/Accounts/{account}/Calls/{sid}.json"
    return {"sid": sid, "account_sid": account, "to": ring["to"], "from": ring["from"], "status": "queued",
            "direction": "outbound-api", "api_version": "2010-04-01", "date_created": now,
            "date_updated": now, "start_time": None, "end_time": None, "duration": None,
            "parent_call_sid": None, "price": None, "price_unit": "USD", "answered_by": None,
            "caller_name": None, "forwarded_from": None, "group_sid": None, "phone_number_sid": None,
            "queue_time": "0", "trunk_sid": None, "uri": uri,
            "subresource_uris": {"recordings": uri.replace(".json", "/Recordings.json")}}


def peek(redis_url: str, slot: int) -> dict[str, Any] | None:
    raw = redis_for(redis_url).get(_key(slot))
    return json.loads(raw) if raw else None


def take(redis_url: str, slot: int, sid: str | None = None) -> dict[str, Any] | None:
    """The ring, removed (one answer, decline or no-answer per ring, whoever asks first)."""
    raw = redis_for(redis_url).getdel(_key(slot))
    ring = json.loads(raw) if raw else None
    if ring is not None and sid and ring["sid"] != sid:  # another ring came since: put it back
        redis_for(redis_url).set(_key(slot), raw, ex=int(ring["timeout"]) + KEPT_AFTER_TIMEOUT_S)
        return None
    return ring


def put_adviser_through(phone: Phone) -> None:
    """On a callback the web phone answered, the caller's 1 dials the adviser reserved for it:
    their leg is taken (the desk has reserved them already), as a REST redirect's is in views."""
    if (phone.direction == "outbound-api" and phone.dialing is not None and not phone.bridged
            and not phone.ended):
        phone.adviser_answers()
