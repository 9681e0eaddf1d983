"""Text messages Jobline sends to a web phone (issue 19): the handset's inbox, as Twilio and the
network would deliver it.

A text is sent through Twilio's Messages API (callcenter/routing/texts.py). When it is To a
web-phone caller's demo number, the bridge (bridge.py) answers the create as Twilio does (201, a
Message `queued` with a fresh SM SID: Twilio's API v2010 spec, `api.v2010.account.message`) and
keeps the text here for the page of the user owning that number, under the number's slot
(never the number). The page's poll (`GET /phone/api/texts`, inbox.py) takes it, and Twilio's
status callbacks are posted then, signed as Twilio signs them: `sent`, then `delivered`, with
MessageSid, MessageStatus, AccountSid, From, To and ApiVersion
(https://www.twilio.com/docs/messaging/guides/track-outbound-message-status; no callback for
the initial `queued`: https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks).
"""

from __future__ import annotations

import json
import uuid
from email.utils import formatdate
from typing import Any

from db.broker import redis_for

KEPT_S = 3600  # a text the page never fetched (the tab was closed) goes after an hour


def _key(slot: int) -> str:
    return f"jobline:webphone:texts:{slot:03d}"


def record_text(redis_url: str, slot: int, account: str, form: dict[str, str]) -> dict[str, Any]:
    """Keep a text for this slot's page; returns the Message resource Twilio answers a create with."""
    sid = "SM" + uuid.uuid4().hex
    sender = form.get("From") or form.get("MessagingServiceSid", "")
    text = {"sid": sid, "account": account, "from": sender, "to": form.get("To", ""),
            "body": form.get("Body", ""), "status_callback": form.get("StatusCallback", "")}
    conn = redis_for(redis_url)
    conn.rpush(_key(slot), json.dumps(text))
    conn.expire(_key(slot), KEPT_S)
    now = formatdate(usegmt=True)
    uri = f"/2010-04-01/Accounts/{account}/Messages/{sid}.json"
    return {"sid": sid, "account_sid": account, "to": text["to"], "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": text["body"],
            "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
            "num_segments": "1", "num_media": "0", "date_created": now, "date_updated": now,
            "date_sent": None, "error_code": None, "error_message": None, "price": None,
            "price_unit": "USD", "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")}}


def take_texts(redis_url: str, slot: int) -> list[dict[str, Any]]:
    """The texts kept for this slot, removed (each is shown, and delivered, once)."""
    conn = redis_for(redis_url)
    with conn.pipeline() as pipe:
        pipe.lrange(_key(slot), 0, -1)
        pipe.delete(_key(slot))
        raw, _ = pipe.execute()
    return [json.loads(item) for item in raw]
