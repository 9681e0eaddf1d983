"""Sending a text message (issue 19): the RQ job behind the IVR's send_text key and the desk's
"Send by text message" (db/text_messages.py holds the rules and enqueues it).

`send_text_message(text_id)` reads the row, sends the flow's `sms` text in the row's language
to the call's caller through Twilio's Messages API (the REST client of ivr/telephony/rest.py),
from TWILIO_MESSAGING_FROM (a number: `From`; a Messaging Service: `MessagingServiceSid`), with
a StatusCallback to /ivr/sms-status naming the row (ivr/views/webhooks.py `text_status`).
Twilio answers a create with the new Message, `queued` (`accepted` through a Messaging
Service), and posts its later statuses (sent, delivered, undelivered, failed) to that URL
(https://www.twilio.com/docs/messaging/api/message-resource;
https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks).
A refused create (e.g. 21610, the number replied STOP; 21211, not a valid number) marks the row
failed with Twilio's code: the caller has moved on long before. Only a row still `requested` is
sent, so the job run twice sends once; an unreachable Twilio raises, and RQ tries again.
A fictional number (the web phone's, the demo's) is never sent to Twilio itself: the web phone's
bridge answers for its demo numbers, as it does for callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from twilio.base.exceptions import TwilioRestException

from callcenter.routing.callbacks import _flow_file, _web_phone_rings, job_config, reaches_twilio
from config import settings
from config.flow import Flow
from db import session as db
from db.models import TextMessage
from db.states import TextStatus
from db.text_messages import number_of, set_status
from ivr.telephony.numbers import is_fictional
from ivr.telephony.rest import public_url, twilio_client

log = logging.getLogger(__name__)
FICTION_REFUSED = 21211  # Twilio's "invalid 'To' phone number", the answer a fictional number gets


def send_text_message(text_id: int) -> str:
    """RQ job: send one stored text; returns its status (no personal data in the result)."""
    db.configure(settings.database_url())
    return send(text_config(), _flow_file(), text_id)


def text_config() -> dict[str, Any]:
    return {**job_config(), "TWILIO_MESSAGING_FROM": settings.TWILIO_MESSAGING_FROM}


def sender(config: Mapping[str, Any]) -> dict[str, str]:
    """messages.create's sender: a Messaging Service SID or a number of the account."""
    sender = config.get("TWILIO_MESSAGING_FROM") or ""
    return {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}


def send(config: Mapping[str, Any], flow: Flow, text_id: int) -> str:
    with db.SessionLocal.begin() as s:
        text = s.get(TextMessage, text_id)
        if text is None or text.status != TextStatus.REQUESTED:
            return "not due"
        to, body = number_of(text.call), flow.texts.get(text.message, {}).get(text.language)
        if to is None or body is None or not config.get("TWILIO_MESSAGING_FROM"):
            set_status(s, text_id, TextStatus.FAILED)  # erased meanwhile, or the flow changed
            return TextStatus.FAILED
    if is_fictional(to) and reaches_twilio(config) and not _web_phone_rings(config, to):
        with db.SessionLocal.begin() as s:
            set_status(s, text_id, TextStatus.FAILED, error_code=FICTION_REFUSED)
        return TextStatus.FAILED
    callback = public_url(config, f"/ivr/sms-status?text={text_id}")
    try:
        message = twilio_client(config).messages.create(to=to, body=body, status_callback=callback,
                                                        **sender(config))
    except TwilioRestException as e:
        log.warning("Twilio refused text message %s (error %s)", text_id, e.code)
        with db.SessionLocal.begin() as s:
            set_status(s, text_id, TextStatus.FAILED, error_code=e.code if isinstance(e.code, int) else None)
        return TextStatus.FAILED
    status = TextStatus.ACCEPTED if message.status == TextStatus.ACCEPTED else TextStatus.QUEUED
    with db.SessionLocal.begin() as s:
        set_status(s, text_id, status, sid=message.sid)
    return status
