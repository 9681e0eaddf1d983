"""The call Jobline places when a callback's turn comes (dialled by callcenter/routing/callbacks.py).

The person who answers must press 1 before an adviser is put through: an answering machine or
a voicemail greeting never presses it, so it counts as a failed attempt, not a completed
callback. Failed attempts go back to `pending` for a retry until CALLBACK_MAX_ATTEMPTS, then
`failed`. These are webhooks of the outbound call (its own CallSid, views in
ivr/views/callback_calls.py): no Call row is made for it; the callback id in the path says which
request it serves. Each step changes the Callback and returns the TwiML; the view commits.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from config.flow import Flow
from db.callback_tries import note_failed_try
from db.models import Callback, User
from db.states import CallbackStatus, CallStatus
from ivr.queue import legs, survey
from ivr.queue import prompts as qp
from ivr.queue.connect import DIAL_TIMEOUT_S, dial_adviser
from ivr.telephony.twiml import Speaker

FAILED_STATUSES = {"busy", "no-answer", "failed", "canceled"}
ASKS = 2  # times the person who answered is asked for 1 before the try counts as failed


def max_attempts() -> int:
    return int(current_app.config["CALLBACK_MAX_ATTEMPTS"])  # config/settings.py, via run.py


def attempt_failed(s: Session, callback: Callback, now: datetime, limit: int, reason: str) -> None:
    """This try did not reach the caller: retry later, or give up after the last attempt. The
    reason (a Twilio status, "no-key", "adviser-missed", "lost") is noted for the desk."""
    note_failed_try(s, callback, reason, now)
    legs.move_agent(s, callback.agent_id, "available", now)
    callback.status = CallbackStatus.FAILED if callback.attempts >= limit else CallbackStatus.PENDING
    callback.agent_id = None if callback.status == CallbackStatus.PENDING else callback.agent_id


def completed(s: Session, callback: Callback, now: datetime) -> None:
    """The adviser talked to the caller: the callback is done and the adviser moves to after-call
    work (notes, disposition), until Done on the desk makes them available."""
    callback.status, callback.completed_at = CallbackStatus.COMPLETED, now
    legs.move_agent(s, callback.agent_id, "after_call", now)


def _speaker(fl: Flow, callback: Callback) -> Speaker:
    return Speaker(fl, callback.language or fl.default_language)


def _goodbye_later(sp: Speaker, reply: VoiceResponse) -> VoiceResponse:
    qp.say(sp, reply, "callback_try_later")
    reply.hangup()
    return reply


def answered(s: Session, fl: Flow, callback_id: int, digits: str, attempt: int,
             now: datetime) -> VoiceResponse:
    """Someone picked up: ask for 1 (twice), then put the adviser through."""
    callback = s.get(Callback, callback_id)
    reply = VoiceResponse()
    if callback is None or callback.status not in (CallbackStatus.DIALING, CallbackStatus.CONNECTED):
        return reply  # a stale call: end it quietly
    sp = _speaker(fl, callback)
    if digits == fl.answer_keys.talk_now and callback.agent_id is not None:
        # connected_at waits for the adviser's 1 in the whisper (ivr/queue/whisper.py): picking up
        # is not taking the call, a voicemail greeting never presses it.
        callback.status, callback.connected_at = CallbackStatus.CONNECTED, None
        agent = s.get(User, callback.agent_id)
        qp.say(sp, reply, "queue_connecting")
        dial = reply.dial(action=url_for("ivr_callback_call.callback_dialed", callback_id=callback.id),
                          method="POST", timeout=DIAL_TIMEOUT_S, answer_on_bridge=True)
        dial_adviser(dial, agent, url_for("ivr_whisper.callback_whisper", callback_id=callback.id))
        return reply
    if attempt >= ASKS:
        attempt_failed(s, callback, now, max_attempts(), "no-key")
        return _goodbye_later(sp, reply)
    url = url_for("ivr_callback_call.callback_answered", callback_id=callback.id, attempt=attempt + 1)
    gather = reply.gather(action=url, method="POST", input="dtmf", num_digits=1, timeout=8,
                          action_on_empty_result=False)
    qp.say(sp, gather, "callback_greeting", helpline=fl.helpline)
    reply.redirect(url, method="POST")
    return reply


def dialed(s: Session, fl: Flow, callback_id: int, dial_status: str, now: datetime,
           caller_status: str = CallStatus.IN_PROGRESS) -> VoiceResponse:
    """<Dial action> of the callback: talked to an adviser, or the adviser did not pick up.
    `caller_status` is the called-back caller's CallStatus: completed once they hung up."""
    callback = s.get(Callback, callback_id)
    reply = VoiceResponse()
    if callback is None:
        return reply
    sp = _speaker(fl, callback)
    # Only a completed dial the adviser accepted (connected_at) was a conversation; busy,
    # no-answer, failed, canceled or a whisper nobody answered is a failed attempt.
    if (dial_status == "completed" and callback.status == CallbackStatus.CONNECTED
            and callback.connected_at is not None):
        completed(s, callback, now)
    if callback.status == CallbackStatus.COMPLETED:  # talked (the adviser may have pressed Done already)
        if caller_status != CallStatus.COMPLETED and survey.wanted(fl, callback.queue):
            survey.ask(s, sp, reply, now, call_id=callback.call_id, queue=callback.queue,
                       agent_id=callback.agent_id, callback_id=callback.id)  # ivr/queue/survey.py
            return reply
        sp.prompt(reply, "goodbye")
        reply.hangup()
        return reply
    if callback.status == CallbackStatus.CONNECTED:
        callback.status = CallbackStatus.DIALING  # the adviser missed it: this attempt failed
        attempt_failed(s, callback, now, max_attempts(), "adviser-missed")
    return _goodbye_later(sp, reply)


def call_ended(s: Session, callback_id: int, status: str, now: datetime) -> None:
    """Status callback of the outbound call: no answer, busy, or a hang-up before pressing 1."""
    callback = s.get(Callback, callback_id)
    if callback is not None and callback.status == CallbackStatus.DIALING and (
            status in FAILED_STATUSES or status == "completed"):
        # completed while still dialing: answered, then hung up before pressing 1
        attempt_failed(s, callback, now, max_attempts(), status if status in FAILED_STATUSES else "hung-up")
    elif callback is not None and callback.status == CallbackStatus.CONNECTED and status == "completed":
        if callback.connected_at is not None:
            completed(s, callback, now)
        else:  # the caller hung up while the adviser's phone rang or its whisper played
            attempt_failed(s, callback, now, max_attempts(), "hung-up")
