"""The whisper: what the adviser's leg hears once it picks up, for a queued caller and for a callback.

Twilio runs a <Number>/<Client> noun's `url` on the adviser's leg once it picks up, before the
two parties are bridged (https://www.twilio.com/docs/voice/twiml/number, "url"). Jobline's
whisper is a <Gather>: the adviser presses 1 to take the call; a voicemail greeting or nobody
pressing anything lets it time out onto <Hangup>, and the caller's <Dial action> puts them back
in line (a queued caller, ivr/queue/connect.py) or counts the attempt as failed (a callback,
ivr/queue/callback_calls.py). The views are in ivr/views/whisper.py.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from config.flow import Flow
from db.models import Callback, QueueEntry
from db.states import CallbackStatus, LegOutcome, LegStatus
from ivr import calls
from ivr.queue import prompts as qp
from ivr.telephony.twiml import Speaker

WHISPER_TIMEOUT_S = 8  # seconds an adviser who picked up has to press 1 (a voicemail never does)


def adviser_answered(s: Session, flow: Flow, entry_id: int, now: datetime) -> VoiceResponse:
    """The whisper, on the adviser's leg once it picks up: the queue, and "press 1 to take it".

    Twilio runs the noun's `url` on the called party's leg before bridging, and a <Gather> with
    <Hangup> there lets them accept or decline (https://www.twilio.com/docs/voice/twiml/number,
    "url"; https://www.twilio.com/docs/glossary/call-whisper). Picking up is not taking the call:
    a voicemail greeting never presses 1, so the Gather times out, the leg hangs up and
    `dial_ended` puts the caller back in line. A leg that is no longer ringing hangs up at once.
    """
    reply = VoiceResponse()
    entry = s.get(QueueEntry, entry_id)
    if entry is None or entry.status != LegStatus.CONNECTING:
        reply.hangup()
        return reply
    sp = Speaker(flow, flow.default_language)
    queue = flow.queues.get(entry.queue)
    gather = reply.gather(action=url_for("ivr_whisper.whisper_key", entry_id=entry.id), method="POST",
                          input="dtmf", num_digits=1, timeout=WHISPER_TIMEOUT_S, action_on_empty_result=False)
    qp.say(sp, gather, "whisper", queue=queue.label.get(sp.lang, entry.queue) if queue else entry.queue)
    reply.hangup()
    return reply


def adviser_accepted(s: Session, flow: Flow, entry_id: int, digits: str) -> VoiceResponse:
    """The whisper's key: take_call (answer_keys, 1) marks the leg connected and ends the whisper,
    so Twilio bridges adviser and caller; anything else (or a leg no longer ringing) hangs the
    adviser's leg up."""
    reply = VoiceResponse()
    entry = s.get(QueueEntry, entry_id)
    if entry is None or digits != flow.answer_keys.take_call or entry.status != LegStatus.CONNECTING:
        reply.hangup()
        return reply
    entry.status, entry.outcome = LegStatus.CONNECTED, LegOutcome.ANSWERED
    calls.event(entry.call, "adviser_answered", entry.queue)
    return reply


def callback_adviser_answered(fl: Flow, callback: Callback | None) -> VoiceResponse:
    """The whisper of a callback's adviser leg: which queue, press 1; nothing pressed hangs up."""
    reply = VoiceResponse()
    if callback is None or callback.status != CallbackStatus.CONNECTED or callback.connected_at is not None:
        reply.hangup()  # a stale leg, or already taken: never bridge it
        return reply
    sp = Speaker(fl, fl.default_language)
    queue = fl.queues.get(callback.queue)
    gather = reply.gather(action=url_for("ivr_whisper.callback_whisper_key", callback_id=callback.id),
                          method="POST", input="dtmf", num_digits=1, timeout=WHISPER_TIMEOUT_S,
                          action_on_empty_result=False)
    label = queue.label.get(sp.lang, callback.queue) if queue else callback.queue
    qp.say(sp, gather, "whisper", queue=label)
    reply.hangup()
    return reply


def callback_adviser_accepted(fl: Flow, callback: Callback | None, digits: str,
                              now: datetime) -> VoiceResponse:
    """take_call (1) from the adviser: the callback's conversation starts (connected_at), Twilio bridges;
    anything else, a stale leg or one already taken hangs the adviser's leg up."""
    reply = VoiceResponse()
    if (callback is None or digits != fl.answer_keys.take_call or callback.status != CallbackStatus.CONNECTED
            or callback.connected_at is not None):
        reply.hangup()
        return reply
    callback.connected_at = now
    return reply
