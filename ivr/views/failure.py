"""The one error policy of every Twilio webhook: nothing raised in a step becomes a 5xx a caller
would hear as "an application error has occurred".

Registered on each ivr blueprint (ivr/views/). HTTP errors (403 unsigned, 405) pass through.
Otherwise, by who is listening:
- a status or recording callback (no caller listens): 503, so Twilio's debugger shows it;
- a caller on hold: more hold music, and Twilio asks the wait URL again after it; an apology
  there would offer a caller a way out of the line they are keeping;
- an adviser's leg in the whisper: an empty whisper, which still bridges adviser and caller; an
  apology there would be heard by the wrong person;
- a caller leaving a message: the message is taken (Twilio holds the audio; its callback stores
  it); a caller for whom the apology's own adviser path failed: a message, without the database;
- any other caller: sorry, then 0 (or silence) for an adviser, 1 to leave a message, in their
  language when the signed URL or the database can still tell it.
(SQLAlchemy's errors carry a `code` of their own, e.g. 'e3q8': testing for `code` is not a test
for HTTP errors, and sent every database error on hold to the apology.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from db import session as db
from ivr import calls
from ivr.actions import voicemail
from ivr.queue.hold import hold_audio_url
from ivr.telephony.twiml import Speaker, twiml
from ivr.views.inputs import flow

log = logging.getLogger(__name__)
CALLBACKS = {"ivr.status", "ivr.recording_done"}  # (the callback call's status: below)
ON_HOLD = {"ivr_queue.hold_loop", "ivr_queue.hold_key"}
WHISPERS = {"ivr_whisper.whisper", "ivr_whisper.whisper_key"}  # the adviser's leg, not a caller's


def step_failed(error: Exception) -> Response | HTTPException | tuple[str, int]:
    if isinstance(error, HTTPException):
        return error
    endpoint = request.endpoint
    if endpoint in ON_HOLD:
        log.exception("hold loop failed on %s", request.path)
        reply = VoiceResponse()  # keep the caller on hold: Twilio asks again after the music
        reply.play(hold_audio_url())
        return twiml(reply)
    if endpoint in WHISPERS:
        log.exception("whisper failed on %s", request.path)
        return twiml(VoiceResponse())
    if endpoint == "ivr_callback_call.callback_status":
        log.exception("callback status failed on %s", request.path)
        return "", 503
    log.exception("IVR step failed on %s", request.path)
    if endpoint in CALLBACKS:
        return "", 503
    if endpoint == "ivr.recover":
        return last_resort_voicemail()  # the adviser path failed too: take a message, no database
    if endpoint == "ivr.voicemail_done":
        sp = _apology_speaker()
        reply = VoiceResponse()
        sp.prompt(reply, "voicemail_saved")  # Twilio holds the audio; its callback stores it
        sp.prompt(reply, "goodbye")
        reply.hangup()
        return twiml(reply)
    return apology()


def hinted_speaker(hint: Mapping[str, str]) -> Speaker | None:
    """The caller's language and speech rate from a signed URL's query (lang=, slow=), if any."""
    lang = hint.get("lang")
    if lang not in flow().language_codes:
        return None
    return Speaker(flow(), lang, hint.get("slow") == "1")


def _apology_speaker() -> Speaker:
    """A speaker in the caller's language: from this request's signed URL, else from the
    database if it can still tell it, else the flow's default language."""
    hinted = hinted_speaker(request.args)
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
