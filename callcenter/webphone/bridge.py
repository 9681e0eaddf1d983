"""The web phone's Twilio: REST requests about web-phone calls are answered here.

When an adviser answers a web-phone caller, routing redirects the caller's call through
Twilio's REST API, as for any call. For a call placed from /phone there is no Twilio call to
redirect: this HTTP client (the documented `http_client` extension point of twilio.rest.Client)
keeps the instruction for the web phone to carry out, and answers as Twilio would. Requests
about any other call go to the client it wraps (real Twilio, or the test mock).

A new call To a web phone's demo number (a callback to someone who called from /phone) is
answered here too, as Twilio answers a create (201, a queued call with a fresh CA SID): the page
of the user owning that number rings (rings.py), and the call is registered as a web-phone call
so that later REST updates (the desk ending it) reach the page. A create To any other number
goes on to the wrapped client. A text message To a demo number is answered here the same way,
and lands in that web phone's inbox (texts.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from callcenter.webphone import rings, texts
from db.broker import redis_for
from db.states import CallStatus

CALL_URL = re.compile(r"^https://api\.twilio\.com/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls/"
                      r"(CA[0-9a-fA-F]{32})\.json$")
CREATE_URL = re.compile(r"^https://api\.twilio\.com/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls\.json$")
MESSAGES_URL = re.compile(r"^https://api\.twilio\.com/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")
CALL_TTL_S = 4 * 3600


def _call_key(sid: str) -> str:
    return f"jobline:webphone:call:{sid}"


def register_call(redis_url: str, sid: str, owner: int) -> None:
    """Remember that `sid` is a web-phone call of user `owner` (for the bridge)."""
    redis_for(redis_url).set(_call_key(sid), owner, ex=CALL_TTL_S)


def take_instructions(redis_url: str, sid: str) -> list[dict[str, str]]:
    """The REST instructions received for a web-phone call since the last look, oldest first."""
    conn = redis_for(redis_url)
    key = _call_key(sid) + ":rest"
    with conn.pipeline() as pipe:
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        raw, _ = pipe.execute()
    return [json.loads(item) for item in raw]


class BridgeHttpClient(TwilioHttpClient):
    def __init__(self, redis_url: str, inner: Any | None = None) -> None:
        super().__init__()
        self.redis_url = redis_url
        self.inner = inner or TwilioHttpClient(timeout=10)

    def rings_web_phone(self, to: str | None) -> bool:
        """Is a new call To this number answered here (a web phone's demo number), not at Twilio?"""
        return rings.demo_slot(to) is not None

    def request(self, method: str, url: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        create = CREATE_URL.match(url)
        form = {k: str(v) for k, v in (data or {}).items()}
        if create and method.upper() == "POST" and self.rings_web_phone(form.get("To")):
            slot = rings.demo_slot(form.get("To"))
            body = rings.record_ring(self.redis_url, slot, create.group(1), form)
            register_call(self.redis_url, body["sid"], slot)
            self.last_response = Response(201, json.dumps(body))
            return self.last_response
        message = MESSAGES_URL.match(url)
        if message and method.upper() == "POST" and self.rings_web_phone(form.get("To")):
            slot = rings.demo_slot(form.get("To")) or 0
            body = texts.record_text(self.redis_url, slot, message.group(1), form)
            self.last_response = Response(201, json.dumps(body))
            return self.last_response
        match = CALL_URL.match(url)
        conn = redis_for(self.redis_url)
        if match and method.upper() == "POST" and conn.exists(_call_key(match.group(2))):
            account, sid = match.groups()
            instruction = {k: str(v) for k, v in (data or {}).items()}
            conn.rpush(_call_key(sid) + ":rest", json.dumps(instruction))
            conn.expire(_call_key(sid) + ":rest", CALL_TTL_S)
            body = {"sid": sid, "account_sid": account, "status": CallStatus.IN_PROGRESS,
                    "uri": url.removeprefix("https://api.twilio.com")}
            self.last_response = Response(200, json.dumps(body))
            return self.last_response
        self.last_response = self.inner.request(method, url, params=params, data=data, headers=headers,
                                                auth=auth, timeout=timeout, allow_redirects=allow_redirects)
        return self.last_response
