"""Webhooks on the adviser's leg of a <Dial>: the whisper and its key, for a queued caller and for
a callback (ivr/queue/whisper.py says what each does). On the `ivr_whisper` blueprint
(/ivr/queue), every one signed.
"""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from db import session as db
from db.models import Callback
from ivr.queue import whisper as adviser_leg
from ivr.telephony.signature import twilio_signed
from ivr.telephony.twiml import twiml
from ivr.views import failure
from ivr.views.inputs import clock, committed, digits, flow

bp = Blueprint("ivr_whisper", __name__, url_prefix="/ivr/queue")
bp.before_request(db.limit_statements)  # Twilio waits 15 s: a stuck statement must not (db/session.py)
bp.register_error_handler(Exception, failure.step_failed)
KEY_DIGITS = 4


@bp.post("/whisper/<int:entry_id>")
@twilio_signed
@committed
def whisper(s: Session, entry_id: int) -> VoiceResponse:
    """Runs on the adviser's leg when they pick up, before the caller is bridged."""
    return adviser_leg.adviser_answered(s, flow(), entry_id, clock())


@bp.post("/whisper/<int:entry_id>/key")
@twilio_signed
@committed
def whisper_key(s: Session, entry_id: int) -> VoiceResponse:
    """The adviser's key in the whisper of a queued caller: 1 takes the call."""
    return adviser_leg.adviser_accepted(s, flow(), entry_id, digits(KEY_DIGITS))


@bp.post("/callback-call/<int:callback_id>/whisper")
@twilio_signed
def callback_whisper(callback_id: int) -> Response:
    """Runs on the adviser's leg of a callback when it picks up."""
    return twiml(adviser_leg.callback_adviser_answered(flow(), db.current().get(Callback, callback_id)))


@bp.post("/callback-call/<int:callback_id>/whisper/key")
@twilio_signed
@committed
def callback_whisper_key(s: Session, callback_id: int) -> VoiceResponse:
    """1 from the adviser: the callback's conversation starts (connected_at), Twilio bridges."""
    return adviser_leg.callback_adviser_accepted(flow(), s.get(Callback, callback_id), digits(KEY_DIGITS),
                                                  clock())
