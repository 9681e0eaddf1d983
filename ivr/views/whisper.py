"""The adviser's side of a <Dial>: the whisper's key, for a queued caller and for a callback.

Twilio runs a <Number>/<Client> noun's `url` on the adviser's leg once it picks up, before the
two parties are bridged (https://www.twilio.com/docs/voice/twiml/number, "url"). Jobline's
whisper is a <Gather>: the adviser presses 1 to take the call; a voicemail greeting or nobody
pressing anything lets it time out onto <Hangup>, and the caller's <Dial action> puts them back
in line (a queued caller) or counts the attempt as failed (a callback). Views on the `ivr_queue`
blueprint, every one signed.
"""

from __future__ import annotations

from flask import Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from config.flow import Flow
from db import session as db
from db.models import Callback
from ivr.queue import connect
from ivr.queue import prompts as qp
from ivr.queue.queueing import bp, clock, flow
from ivr.telephony.signature import twilio_signed
from ivr.telephony.twiml import Speaker, twiml


def _digits() -> str:
    return (request.form.get("Digits") or "").strip()[:4]


@bp.post("/whisper/<int:entry_id>/key")
@twilio_signed
def whisper_key(entry_id: int) -> Response:
    """The adviser's key in the whisper of a queued caller: 1 takes the call."""
    s = db.current()
    reply = connect.adviser_accepted(s, entry_id, _digits())
    s.commit()
    return twiml(reply)


def callback_whisper_twiml(fl: Flow, callback: Callback | None) -> VoiceResponse:
    """The whisper of a callback's adviser leg: which queue, press 1; nothing pressed hangs up."""
    reply = VoiceResponse()
    if callback is None or callback.status != "connected" or callback.connected_at is not None:
        reply.hangup()  # a stale leg, or already taken: never bridge it
        return reply
    sp = Speaker(fl, fl.default_language)
    queue = fl.queues.get(callback.queue)
    gather = reply.gather(action=url_for("ivr_queue.callback_whisper_key", callback_id=callback.id),
                          method="POST", input="dtmf", num_digits=1, timeout=connect.WHISPER_TIMEOUT_S,
                          action_on_empty_result=False)
    label = queue.label.get(sp.lang, callback.queue) if queue else callback.queue
    qp.say(sp, gather, "whisper", queue=label)
    reply.hangup()
    return reply


@bp.post("/callback-call/<int:callback_id>/whisper")
@twilio_signed
def callback_whisper(callback_id: int) -> Response:
    """Runs on the adviser's leg of a callback when it picks up."""
    return twiml(callback_whisper_twiml(flow(), db.current().get(Callback, callback_id)))


@bp.post("/callback-call/<int:callback_id>/whisper/key")
@twilio_signed
def callback_whisper_key(callback_id: int) -> Response:
    """1 from the adviser: the callback's conversation starts (connected_at), Twilio bridges."""
    s = db.current()
    callback = s.get(Callback, callback_id)
    reply = VoiceResponse()
    if (callback is None or _digits() != "1" or callback.status != "connected"
            or callback.connected_at is not None):
        reply.hangup()
        return twiml(reply)
    callback.connected_at = clock()
    s.commit()
    return twiml(reply)
