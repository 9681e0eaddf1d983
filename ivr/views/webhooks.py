"""Twilio webhooks (the contract in ARCHITECTURE.md). Each view: check the signature, read the
form, run one engine step with the request's session, commit, return TwiML.

Nothing raised inside a step becomes a 5xx: the caller hears an apology in their language and
is offered an adviser or a message (the same as Twilio's fallback URL gives). The fallback URL
answers from the flow file alone: it is what Twilio asks when a webhook failed or took longer
than its 15 s, so it must not wait on the database that may be the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, current_app, request

from db import session as db
from db import text_messages
from db.models import utcnow
from ivr import calls, callstate, engine
from ivr.actions import voicemail
from ivr.recordings import queue_transcription, store_recording
from ivr.telephony.signature import twilio_signed
from ivr.telephony.twiml import Speaker, twiml
from ivr.views import failure
from ivr.views.inputs import attempt, digits, flow

log = logging.getLogger(__name__)
bp = Blueprint("ivr", __name__, url_prefix="/ivr")
bp.before_request(db.limit_statements)  # Twilio waits 15 s: a stuck statement must not (db/session.py)
bp.register_error_handler(Exception, failure.step_failed)


def step(fn: Callable[..., None], *args: object) -> Response:
    """Run one engine step for the call in this request and reply with its TwiML.

    A menu step reads and writes its call with a few Core statements on the step engine's
    connection (ivr/callstate.py); a step that touches queues, captures or recordings loads
    the ORM call and commits the session.
    """
    form = request.form
    sid = calls.clean_sid(form.get("CallSid"))
    if sid is None:
        raise ValueError("CallSid missing or malformed")
    with db.step_engine().connect() as conn:
        state = callstate.load(conn, flow().language_codes, form, request.args, sid,
                               first=request.endpoint == "ivr.voice")
        now = current_app.config.get("CLOCK", utcnow)()
        t = engine.Turn(flow(), state or calls.start_call(db.current(), form), now, form, request.args)
        fn(t, *args)
        if isinstance(t.state, callstate.CallState):
            callstate.save(conn, t.state)
    if db.is_open():  # the step used the ORM (a queue, a capture, a recording)
        db.current().commit()
    for work in t.after_commit:
        work()
    return twiml(t.reply)


@bp.post("/voice")
@twilio_signed
def voice() -> Response:
    return step(engine.answer)


@bp.post("/language")
@twilio_signed
def language() -> Response:
    return step(engine.choose_language, digits(), attempt())


@bp.post("/node/<node>")
@twilio_signed
def node(node: str) -> Response:
    return step(engine.enter, node)


@bp.post("/node/<node>/input")
@twilio_signed
def node_input(node: str) -> Response:
    return step(engine.handle_input, node, digits(), attempt())


@bp.post("/voicemail")
@twilio_signed
def voicemail_done() -> Response:
    return step(voicemail.message_done, request.form)


@bp.post("/recording")
@twilio_signed
def recording_done() -> tuple[str, int]:
    s = db.current()
    capture = request.args.get("capture", type=int)
    recording = store_recording(s, request.form, request.args.get("kind", "voicemail"), capture_id=capture)
    s.commit()
    if recording is not None:
        queue_transcription(current_app.config["REDIS_URL"], recording)
    return "", 204


@bp.post("/status")
@twilio_signed
def status() -> tuple[str, int]:
    calls.apply_status(db.current, request.form)
    if db.is_open():  # the call reached a queue, a callback or a recording (or was never seen)
        db.current().commit()
    return "", 204


@bp.post("/sms-status")
@twilio_signed
def text_status() -> tuple[str, int]:
    """A text message's StatusCallback (callcenter/routing/texts.py sets it, naming our row):
    MessageStatus and, when it failed, ErrorCode, as Twilio posts them, signed like every webhook
    (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status). A repeated or
    late status never moves a text back (delivered stays delivered)."""
    text_id = request.args.get("text", type=int)
    code = request.form.get("ErrorCode", "")
    if text_id is not None:
        text_messages.set_status(db.current(), text_id, (request.form.get("MessageStatus") or "").lower(),
                                 sid=calls.clean_sid(request.form.get("MessageSid")),
                                 error_code=int(code) if code.isdigit() else None)
        db.current().commit()
    return "", 204


@bp.post("/fallback")
@twilio_signed
def fallback() -> Response:
    """Twilio's Fallback URL: the apology and the adviser / message choice, without the database.

    Twilio posts ErrorCode and ErrorUrl (https://www.twilio.com/docs/availability-reliability);
    a menu step's URL carries the caller's language and slower speech
    (engine.Turn.url), so the caller is answered in their language when the failed URL tells it,
    else in the flow's default language.
    """
    log.error("Twilio used the fallback URL (error %s)", request.form.get("ErrorCode", "?")[:10])
    error_url = request.form.get("ErrorUrl", "")[:2048]
    hint = {k: v[0] for k, v in parse_qs(urlsplit(error_url).query).items() if v}
    return failure.apology(failure.hinted_speaker(hint) or Speaker(flow(), flow().default_language))


@bp.post("/recover")
@twilio_signed
def recover() -> Response:
    if digits() == flow().answer_keys.error_message:  # error_offer; any other key: an adviser
        return step(voicemail.voicemail)
    return step(lambda t: engine.enter(t, t.flow.adviser))
