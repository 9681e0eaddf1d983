"""Information by text message in the IVR (issue 19): after a message that has an `sms` text
(config/flow_texts.py), the caller hears "To get this information by text message, press 1"
and the key sends it to the number they are calling from.

The offer is made only when texts can be sent (TWILIO_MESSAGING_FROM is set) and the call
comes from a number: a withheld caller ID (ivr/telephony/numbers.py) is never offered it, and
one who presses the key anyway hears that it cannot be sent. A number that had SMS_DAILY_LIMIT
texts in the last 24 hours hears so, and nothing is sent. Otherwise the text is stored and its
send job queued once the step is committed (db/text_messages.py; the id only), the caller hears
that it is on its way, and the choice after the message goes on (without the offer again).
"""

from __future__ import annotations

from flask import current_app
from twilio.twiml.voice_response import Gather

from config.flow import Node
from db import text_messages
from ivr import calls, engine
from ivr.callstate import number
from ivr.engine import Turn


def sending() -> bool:
    return bool(current_app.config.get("TWILIO_MESSAGING_FROM"))


def offer(t: Turn, node: Node, gather: Gather) -> None:
    """Said inside the choice after a message: the key that sends it by text."""
    if node.id in t.flow.texts and t.flow.answer_keys.send_text and sending() and number(t.form, "From"):
        t.say("text_offer", gather)


def info_input(t: Turn, node: Node, digits: str, attempt: int) -> None:
    """A key after an information message: the text key, else the keys every message answers."""
    if digits and digits == t.flow.answer_keys.send_text and node.id in t.flow.texts and sending():
        send(t, node)
    else:
        engine.menu_keys(t, node, digits, attempt)


def send(t: Turn, node: Node) -> None:
    limit = int(current_app.config.get("SMS_DAILY_LIMIT") or 1)
    why = text_messages.refusal(t.s, t.call, t.now, limit)
    if why is not None:
        calls.event(t.call, "text", node.id, why)
        t.say("text_withheld" if why == text_messages.WITHHELD else "text_limit")
    else:
        text_id = text_messages.request_text(t.s, t.call, node.id, t.speaker.lang, t.now).id
        calls.event(t.call, "text", node.id, "requested")
        redis_url = current_app.config["REDIS_URL"]
        t.after_commit.append(lambda: text_messages.enqueue_send(redis_url, text_id))
        t.say("text_sent")
    engine.after_info(t, node, offers=False)
