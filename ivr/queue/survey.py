"""The question after the call (issue 19): "how well did we help you today?", 1 to 5.

Asked of a caller still on the line once their adviser conversation ends, in a queue with
`survey: true` (config/flow_survey.py), in the caller's language. Two ways lead here:
- the adviser hangs up their own phone or browser: Twilio requests the caller's `<Dial action>`
  and "call flow will then continue, using the TwiML you send" (https://www.twilio.com/docs/voice/
  twiml/dial#action); its CallStatus says whether the caller is still there: `in-progress`, or
  `completed` once "the call ended or was hung up" (Twilio's request parameters,
  http://www.twilio.com/docs/api/twiml/twilio_request). A caller who hung up is never asked.
- the adviser presses End conversation (or Done while talking) on the desk: instead of ending
  the caller's call, the desk redirects it here through the REST API (Url: "Twilio will
  immediately redirect the call to the new TwiML", http://www.twilio.com/docs/api/rest/
  change-call-state), which also hangs up the adviser's leg of the `<Dial>`.
Either way the adviser is already in after-call work (ivr/queue/connect.py, the desk): the
question never holds them up.

One row per conversation (SurveyResponse): created when the question is put, scored when a key
of the scale comes. A wrong key is asked once more, then the call ends with thanks; silence ends
it politely; both leave the row unanswered, which the response rate counts.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from config.flow import Flow
from config.flow_survey import SCALE, scale_words
from db.models import Callback, QueueEntry, SurveyResponse
from db.states import CallbackStatus, LegStatus
from ivr.queue import prompts as qp
from ivr.telephony.twiml import Speaker

ANSWER_TIMEOUT_S = 8  # seconds to choose a key after the question
ASKS = 2  # the question, and once more after a wrong key


def wanted(flow: Flow, queue: str) -> bool:
    q = flow.queues.get(queue)
    return q is not None and q.survey


def _words(sp: Speaker) -> dict[str, str]:
    return scale_words({key: sp.key(key) for key in SCALE})


def _gather(sp: Speaker, reply: VoiceResponse, row: SurveyResponse, attempt: int, *prompts: str) -> None:
    gather = reply.gather(action=url_for("ivr_survey.answer", survey_id=row.id, attempt=attempt),
                          method="POST", input="dtmf", num_digits=1, timeout=ANSWER_TIMEOUT_S,
                          action_on_empty_result=False)
    for prompt in prompts:
        qp.say(sp, gather, prompt, **_words(sp))
    sp.prompt(reply, "goodbye")  # no key: the call ends politely, the survey unanswered
    reply.hangup()


def ask(s: Session, sp: Speaker, reply: VoiceResponse, now: datetime, *, call_id: int, queue: str,
        agent_id: int | None, entry_id: int | None = None, callback_id: int | None = None) -> None:
    """Put the question (the row is made once per conversation: a repeated request asks again
    without counting a second survey)."""
    link = (SurveyResponse.queue_entry_id == entry_id if entry_id is not None
            else SurveyResponse.callback_id == callback_id)
    row = s.scalar(select(SurveyResponse).where(link))
    if row is None:
        row = SurveyResponse(call_id=call_id, queue_entry_id=entry_id, callback_id=callback_id,
                             agent_id=agent_id, queue=queue, language=sp.lang, asked_at=now)
        s.add(row)
        s.flush()
    _gather(sp, reply, row, 1, "survey_question")


def answer(s: Session, flow: Flow, survey_id: int, digits: str, attempt: int, now: datetime,
           slow: bool = False) -> VoiceResponse:
    """The caller's key: a score is kept and thanked; a wrong one is asked once more, then the
    call ends with thanks (the survey unanswered)."""
    reply = VoiceResponse()
    row = s.get(SurveyResponse, survey_id)
    if row is None:
        reply.hangup()
        return reply
    sp = Speaker(flow, row.language or flow.default_language, slow)
    if digits in SCALE and row.score is None:
        row.score, row.answered_at = int(digits), now
    if row.score is not None:
        sp.prompt(reply, "survey_thanks")
        reply.hangup()
    elif attempt < ASKS:
        _gather(sp, reply, row, attempt + 1, "survey_invalid", "survey_question")
    else:
        sp.prompt(reply, "goodbye")
        reply.hangup()
    return reply


def after_desk_ended_leg(s: Session, flow: Flow, entry_id: int, now: datetime) -> VoiceResponse:
    """Where the desk's End conversation redirects a queued caller whose queue has a survey: the
    leg is over (after-call work started on the desk), so the question, else goodbye."""
    reply = VoiceResponse()
    entry = s.get(QueueEntry, entry_id)
    if entry is None:
        reply.hangup()
        return reply
    call = entry.call
    sp = Speaker(flow, call.language or entry.language or flow.default_language, call.slow_speech)
    if entry.status == LegStatus.ENDED and entry.agent_id is not None and wanted(flow, entry.queue):
        ask(s, sp, reply, now, call_id=entry.call_id, queue=entry.queue, agent_id=entry.agent_id,
            entry_id=entry.id)
    else:
        sp.prompt(reply, "goodbye")
        reply.hangup()
    return reply


def after_desk_ended_callback(s: Session, flow: Flow, callback_id: int, now: datetime) -> VoiceResponse:
    """The same for a callback's call, redirected here by the desk's Done while talking."""
    reply = VoiceResponse()
    cb = s.get(Callback, callback_id)
    if cb is None:
        reply.hangup()
        return reply
    sp = Speaker(flow, cb.language or flow.default_language)
    if cb.status == CallbackStatus.COMPLETED and cb.agent_id is not None and wanted(flow, cb.queue):
        ask(s, sp, reply, now, call_id=cb.call_id, queue=cb.queue, agent_id=cb.agent_id, callback_id=cb.id)
    else:
        sp.prompt(reply, "goodbye")
        reply.hangup()
    return reply
