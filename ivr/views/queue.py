"""The hold loop and the ways out of it: Twilio's <Enqueue> wait URL, its action (how the caller
left the queue), the callback-or-message choice, and where the desk's REST redirects send a
claimed or transferred caller. On the `ivr_queue` blueprint (/ivr/queue), every view signed but
the hold music, which Twilio fetches as plain media. What the `queue` action does: ivr/actions/queue.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request, send_from_directory, url_for
from twilio.twiml.voice_response import VoiceResponse

from config.hours import is_open
from db import session as db
from db.models import QueueEntry
from db.states import LegStatus
from ivr import calls
from ivr.actions import callback_request
from ivr.actions import queue as queue_action
from ivr.engine import Turn
from ivr.queue import connect, hold, room
from ivr.queue import prompts as qp
from ivr.telephony.signature import twilio_signed
from ivr.telephony.twiml import Speaker, twiml
from ivr.views import failure
from ivr.views.inputs import attempt, clock, digits, flow

bp = Blueprint("ivr_queue", __name__, url_prefix="/ivr/queue")
bp.before_request(db.limit_statements)  # Twilio waits 15 s: a stuck statement must not (db/session.py)
bp.register_error_handler(Exception, failure.step_failed)
STATIC_DIR = Path(__file__).parents[1] / "static"  # ivr/static: hold.wav
# Twilio caches <Play> media by HTTP headers: max-age lets its proxies skip us for a day, and
# ETag / Last-Modified let it revalidate with a 304 after that. A changed recording needs a new
# file name to reach callers sooner (https://support.twilio.com/hc/en-us/articles/
# 223180508-How-can-I-change-the-cache-behavior-of-audio-files).
MEDIA_MAX_AGE_S = 24 * 3600


def stats() -> hold.QueueStats:
    return current_app.extensions.setdefault("jobline.queue_stats", hold.QueueStats())


def _turn() -> Turn:
    s = db.current()
    call = calls.start_call(s, request.form)
    return Turn(flow(), call, clock(), request.form, request.args)


def _done(t: Turn) -> Response:
    t.s.commit()
    for work in getattr(t, "after_commit", []):  # e.g. a transcription job, once rows are committed
        work()
    return twiml(t.reply)


def on_turn(step: Callable[..., None]) -> Callable[..., Response]:
    """A step of the caller's call: the view gets the call's Turn, adds to its reply, and the
    turn is committed and answered (TwiML) when it returns."""

    @functools.wraps(step)
    def view(**path: Any) -> Response:
        t = _turn()
        step(t, **path)
        return _done(t)

    return view


def _entry(t: Turn, entry_id: int) -> QueueEntry | None:
    entry = t.s.get(QueueEntry, entry_id) if entry_id else None
    return entry if entry is not None and entry.call_id == t.call.id else None


@bp.get("/static/<path:filename>", endpoint="static")
def media(filename: str) -> Response:
    """Hold music and other audio Twilio plays: public, cacheable, conditional (304)."""
    return send_from_directory(STATIC_DIR, filename, max_age=MEDIA_MAX_AGE_S, conditional=True,
                               etag=True)


@bp.post("/hold/<int:entry_id>")
@twilio_signed
def hold_loop(entry_id: int) -> Response:
    """The wait URL: place and expected wait when they change, the callback offer, calm music;
    then a <Redirect> to itself carrying what was said (hold.Heard)."""
    with db.step_engine().connect() as conn:
        w = hold.waiter(conn, entry_id)
        if w is not None and w.status == LegStatus.WAITING:
            hold.mark_seen(conn, w.id, clock())
    reply = VoiceResponse()
    if w is None or w.status in (LegStatus.LEFT, LegStatus.ENDED):
        reply.leave()
        return twiml(reply)
    sp = Speaker(flow(), w.language or flow().default_language, w.slow_speech)
    if w.status != LegStatus.WAITING:  # claimed by an adviser: the redirect to them is on its way
        qp.say(sp, reply, "queue_connecting")
        reply.play(hold.hold_audio_url())
        return twiml(reply)
    now = clock()
    queue = flow().queues.get(w.queue)
    reason = None
    if not is_open(flow().hours, now):
        reason = "closed"
    elif queue is not None and (now - w.enqueued_at).total_seconds() > queue.max_wait_s:
        reason = "timeout"
    if reason:
        s = db.current()
        hold.let_out(s, w, reason)
        s.commit()
        reply.leave()
        return twiml(reply)
    place = w.position
    advisers, handle_s = stats().get(db.current, w.queue)  # a session only on a miss
    minutes = hold.expected_minutes(place, handle_s, advisers)
    heard = hold.Heard.from_args(request.args)
    say_place = heard.due(place, minutes)
    after = heard.after(place, minutes, say_place)
    gather = reply.gather(action=url_for("ivr_queue.hold_key", entry_id=w.id, **after), method="POST",
                          input="dtmf", num_digits=1, timeout=1, action_on_empty_result=False)
    if say_place:
        qp.say(sp, gather, "queue_next" if place == 1 else "queue_position", position=place)
        qp.say(sp, gather, "queue_wait_one" if minutes == 1 else "queue_wait", minutes=minutes)
    if callback_request.offered():
        qp.say(sp, gather, "queue_callback_hint")  # every loop: the way out is always offered
    gather.play(hold.hold_audio_url())
    # Twilio allows <Redirect> in a wait URL's TwiML and runs its target as the next wait document
    # (https://www.twilio.com/docs/voice/twiml/enqueue, waitUrl: Play, Say, Pause, Hangup,
    # Redirect, Leave, Gather), so the next loop knows what this one said.
    reply.redirect(url_for("ivr_queue.hold_loop", entry_id=w.id, **after), method="POST")
    return twiml(reply)


@bp.post("/hold/<int:entry_id>/key")
@twilio_signed
def hold_key(entry_id: int) -> Response:
    with db.step_engine().connect() as conn:
        w = hold.waiter(conn, entry_id)
    reply = VoiceResponse()
    if (w is not None and w.status == LegStatus.WAITING and digits() == flow().answer_keys.callback
            and callback_request.offered()):
        s = db.current()
        hold.let_out(s, w, "callback")
        s.commit()
        reply.leave()  # then Twilio posts the <Enqueue> action: the callback questions start there
        return twiml(reply)
    heard = hold.Heard.from_args(request.args)  # a wrong key: back on hold, nothing said again
    reply.redirect(url_for("ivr_queue.hold_loop", entry_id=entry_id, p=heard.position, m=heard.minutes,
                           q=heard.quiet), method="POST")
    return twiml(reply)


@bp.post("/left/<int:entry_id>")
@twilio_signed
@on_turn
def left(t: Turn, entry_id: int) -> None:
    """The <Enqueue> action: the caller left Twilio's queue (QueueResult says how)."""
    queue_action.left(t, _entry(t, entry_id), request.form.get("QueueResult", ""))


@bp.post("/offer/<queue>/<int:entry_id>")
@twilio_signed
@on_turn
def offer_input(t: Turn, queue: str, entry_id: int) -> None:
    queue_action.offer_chosen(t, queue, _entry(t, entry_id), digits(), attempt())


@bp.post("/callback/<queue>/<int:entry_id>")
@twilio_signed
@on_turn
def callback_input(t: Turn, queue: str, entry_id: int) -> None:
    callback_request.handle(t, queue, _entry(t, entry_id), digits(), attempt())


@bp.post("/connect/<int:entry_id>")
@twilio_signed
@on_turn
def connect_caller(t: Turn, entry_id: int) -> None:
    """Where the REST redirect sends a claimed caller: <Dial> their adviser."""
    connect.resume(t, _entry(t, entry_id))


@bp.post("/dialed/<int:entry_id>")
@twilio_signed
@on_turn
def dialed(t: Turn, entry_id: int) -> None:
    connect.dial_ended(t, _entry(t, entry_id), request.form.get("DialCallStatus", ""))


@bp.post("/enqueue/<int:entry_id>")
@twilio_signed
@on_turn
def requeue(t: Turn, entry_id: int) -> None:
    """Where a transfer's REST redirect sends the caller: the new queue."""
    entry = _entry(t, entry_id)
    if entry is not None and entry.status == LegStatus.WAITING:
        label = t.flow.queues[entry.queue].label if entry.queue in t.flow.queues else {}
        qp.say(t.speaker, t.reply, "transferring", queue=label.get(t.speaker.lang, entry.queue))
    connect.resume(t, entry)


@bp.post("/room/<int:entry_id>")
@twilio_signed
def room_status(entry_id: int) -> Response:
    """The conference room's status callback: its SID is kept for the desk's hold and mute."""
    s = db.current()
    if room.room_reported(s, entry_id, request.form, clock()):
        s.commit()
    return twiml(VoiceResponse())
