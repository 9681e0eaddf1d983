"""Twilio webhooks (the contract in ARCHITECTURE.md). Each view: check the signature, read the
form, run one engine step with the request's session, commit, return TwiML.

Nothing raised inside a step becomes a 5xx: the caller hears an apology in their language and
is offered an adviser or a message (the same as Twilio's fallback URL gives). The fallback URL
answers from the flow file alone: it is what Twilio asks when a webhook failed or took longer
than its 15 s, so it must not wait on the database that may be the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from config.flow import Flow
from db import session as db
from db.models import utcnow
from ivr import calls, callstate, engine
from ivr.actions import capture as _capture  # noqa: F401  (registers the capture action)
from ivr.actions import speech_capture as _speech_capture  # noqa: F401  (registers the record action)
from ivr.actions import voicemail
from ivr.queue import queueing as _queueing  # noqa: F401  (registers the queue action)
from ivr.recordings import queue_transcription, store_recording
from ivr.telephony.signature import twilio_signed
from ivr.telephony.twiml import Speaker, twiml

log = logging.getLogger(__name__)
bp = Blueprint("ivr", __name__, url_prefix="/ivr")
bp.before_request(db.limit_statements)  # Twilio waits 15 s: a stuck statement must not (db/session.py)
MAX_DIGITS = 32


def flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def _digits() -> str:
    return (request.form.get("Digits") or "").strip()[:MAX_DIGITS]


def _attempt() -> int:
    return min(max(request.args.get("attempt", 0, type=int), 0), engine.MAX_RETRIES)


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
    return step(engine.choose_language, _digits(), _attempt())


@bp.post("/node/<node>")
@twilio_signed
def node(node: str) -> Response:
    return step(engine.enter, node)


@bp.post("/node/<node>/input")
@twilio_signed
def node_input(node: str) -> Response:
    return step(engine.handle_input, node, _digits(), _attempt())


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
    s = db.current()
    calls.apply_status(s, request.form)
    s.commit()
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
    return apology(_hinted_speaker(hint) or Speaker(flow(), flow().default_language))


@bp.post("/recover")
@twilio_signed
def recover() -> Response:
    if _digits() == "1":
        return step(voicemail.voicemail)
    return step(lambda t: engine.enter(t, t.flow.adviser))


@bp.errorhandler(Exception)
def step_failed(error: Exception) -> Response | HTTPException | tuple[str, int]:
    if isinstance(error, HTTPException):
        return error
    log.exception("IVR step failed on %s", request.path)
    if request.endpoint in {"ivr.status", "ivr.recording_done"}:
        return "", 503  # a callback, not a caller: Twilio's debugger shows the failure
    if request.endpoint == "ivr.recover":
        return last_resort_voicemail()  # the adviser path failed too: take a message, no database
    if request.endpoint == "ivr.voicemail_done":
        sp = _apology_speaker()
        reply = VoiceResponse()
        sp.prompt(reply, "voicemail_saved")  # Twilio holds the audio; its callback stores it
        sp.prompt(reply, "goodbye")
        reply.hangup()
        return twiml(reply)
    return apology()


def _hinted_speaker(hint: Mapping[str, str]) -> Speaker | None:
    """The caller's language and speech rate from a signed URL's query (lang=, slow=), if any."""
    lang = hint.get("lang")
    if lang not in flow().language_codes:
        return None
    return Speaker(flow(), lang, hint.get("slow") == "1")


def _apology_speaker() -> Speaker:
    """A speaker in the caller's language: from this request's signed URL, else from the
    database if it can still tell it, else the flow's default language."""
    hinted = _hinted_speaker(request.args)
    if hinted is not None:
        return hinted
    s = db.current()
    lang, slow = None, False
    try:
        s.rollback()
        call = calls.find_call(s, calls.clean_sid(request.form.get("CallSid")))
        if call is not None:
            lang, slow = call.language, call.slow_speech
    except Exception:  # the database may be what failed
        log.warning("could not read the call's language for the apology")
    return Speaker(flow(), lang or flow().default_language, slow)


def apology(sp: Speaker | None = None) -> Response:
    """Sorry, then: 0 (or silence) for an adviser, 1 to leave a message."""
    sp = sp or _apology_speaker()
    reply = VoiceResponse()
    sp.prompt(reply, "error")
    url = url_for("ivr.recover")
    gather = reply.gather(action=url, method="POST", input="dtmf", num_digits=1, timeout=6)
    sp.prompt(gather, "error_offer")
    reply.redirect(url, method="POST")
    return twiml(reply)


def last_resort_voicemail() -> Response:
    sp = _apology_speaker()
    reply = VoiceResponse()
    sp.prompt(reply, "voicemail")
    voicemail.record_voicemail(reply)
    sp.prompt(reply, "goodbye")
    reply.hangup()
    return twiml(reply)
