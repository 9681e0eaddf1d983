"""Webhooks of the call Jobline places when a callback's turn comes (ivr/queue/callback_calls.py
says what each step does); on the `ivr_callback_call` blueprint (/ivr/queue), every one signed."""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from db import session as db
from ivr.queue import callback_calls
from ivr.telephony.signature import twilio_signed
from ivr.views import failure
from ivr.views.inputs import clock, committed, digits, flow

bp = Blueprint("ivr_callback_call", __name__, url_prefix="/ivr/queue")
bp.before_request(db.limit_statements)  # Twilio waits 15 s: a stuck statement must not (db/session.py)
bp.register_error_handler(Exception, failure.step_failed)


@bp.post("/callback-call/<int:callback_id>/answer")
@twilio_signed
@committed
def callback_answered(s: Session, callback_id: int) -> VoiceResponse:
    """Someone picked up: ask for 1 (twice), then put the adviser through."""
    attempt = min(max(request.args.get("attempt", 0, type=int), 0), callback_calls.ASKS)
    return callback_calls.answered(s, flow(), callback_id, digits(4), attempt, clock())


@bp.post("/callback-call/<int:callback_id>/dialed")
@twilio_signed
@committed
def callback_dialed(s: Session, callback_id: int) -> VoiceResponse:
    """<Dial action> of the callback: talked to an adviser, or the adviser did not pick up."""
    return callback_calls.dialed(s, flow(), callback_id, request.form.get("DialCallStatus") or "", clock(),
                                 request.form.get("CallStatus") or "")


@bp.post("/callback-call/<int:callback_id>/status")
@twilio_signed
def callback_status(callback_id: int) -> tuple[str, int]:
    """Status callback of the outbound call: no answer, busy, or a hang-up before pressing 1."""
    s = db.current()
    callback_calls.call_ended(s, callback_id, (request.form.get("CallStatus") or "").lower(), clock())
    s.commit()
    return "", 204
