"""Webhooks of the question after the call (ivr/queue/survey.py says what each does): the
caller's key, and where the desk's REST redirect sends a caller whose adviser ended the
conversation on the desk. On the `ivr_survey` blueprint (/ivr/survey), every one signed."""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from db import session as db
from ivr.queue import survey
from ivr.telephony.signature import twilio_signed
from ivr.views import failure
from ivr.views.inputs import clock, committed, digits, flow

bp = Blueprint("ivr_survey", __name__, url_prefix="/ivr/survey")
bp.before_request(db.limit_statements)  # Twilio waits 15 s: a stuck statement must not (db/session.py)
bp.register_error_handler(Exception, failure.step_failed)


@bp.post("/<int:survey_id>/answer")
@twilio_signed
@committed
def answer(s: Session, survey_id: int) -> VoiceResponse:
    """The key the caller pressed for the question (1-5), or a wrong one."""
    attempt = min(max(request.args.get("attempt", 1, type=int), 1), survey.ASKS)
    return survey.answer(s, flow(), survey_id, digits(4), attempt, clock())


@bp.post("/leg/<int:entry_id>")
@twilio_signed
@committed
def after_leg(s: Session, entry_id: int) -> VoiceResponse:
    """The desk ended a queued caller's conversation: the question, if their queue asks it."""
    return survey.after_desk_ended_leg(s, flow(), entry_id, clock())


@bp.post("/callback/<int:callback_id>")
@twilio_signed
@committed
def after_callback(s: Session, callback_id: int) -> VoiceResponse:
    """The desk ended a callback's conversation: the question, if its queue asks it."""
    return survey.after_desk_ended_callback(s, flow(), callback_id, clock())
