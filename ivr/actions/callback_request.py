"""Asking for a callback: confirm the number to call, store the Callback, say when to expect it.

The caller keeps their place: a Callback carries the queue leg's enqueued_at and priority, and
callcenter/routing/callbacks.py serves it in that order against callers still on hold. The number is
read from the caller ID (only its last digits are read back) or keyed in; it travels in the
request body, waits on a Capture row while being confirmed, and ends on the Callback row:
never in a URL or a log line.

Callbacks are offered only when TWILIO_CALLER_ID can place them (`offered`). A number abroad,
in a premium-rate or similar range (ivr/telephony/numbers.py), or with
CALLBACK_MAX_PENDING_PER_NUMBER callbacks already waiting is refused with the reason spoken,
and the caller may key in another; a withheld caller ID is never read back, only asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, url_for
from sqlalchemy import func, select

from config import settings
from config.hours import is_open
from db.advisers import serving
from db.models import Callback, Capture, QueueEntry
from db.states import (
    CALLBACK_IN_LINE,
    LEG_OPEN,
    ON_DUTY,
    CallbackStatus,
    CallOutcome,
    CaptureStatus,
    LegOutcome,
    LegStatus,
)
from ivr import calls, engine
from ivr.actions import voicemail
from ivr.engine import MAX_RETRIES, Turn
from ivr.queue import hold, legs
from ivr.queue import prompts as qp
from ivr.telephony.numbers import MAX_KEYED_DIGITS, CallbackPolicy, Refusal, callback_caller_id_problem

FIELD = "callback_phone"
NUMBER_TIMEOUT_S = 12
READBACK_DIGITS = 4


def offered(config: Mapping[str, Any] | None = None) -> bool:
    """Are callers offered callbacks? Only when TWILIO_CALLER_ID can place them."""
    return callback_caller_id_problem(current_app.config if config is None else config) is None


def _url(queue: str, entry: QueueEntry | None, attempt: int = 0) -> str:
    return url_for("ivr_queue.callback_input", queue=queue, entry_id=entry.id if entry else 0,
                   attempt=attempt)


def _capture(t: Turn) -> Capture:
    capture = t.s.scalar(select(Capture).where(Capture.call_id == t.call.id, Capture.field == FIELD)
                         .order_by(Capture.id.desc()).limit(1)) if t.call.id else None
    if capture is None:
        capture = Capture(field=FIELD, method="caller_id", status=CaptureStatus.ASKED)
        t.call.captures.append(capture)
    return capture


def _policy() -> CallbackPolicy:
    return CallbackPolicy.from_config(current_app.config)


def refusal(t: Turn, phone: str | None) -> Refusal | None:
    """Why this number is not called back: not callable from here, or enough callbacks already
    wait for it. None: it may be booked."""
    refused = _policy().refusal(phone)
    if refused is not None:
        return refused
    limit = int(current_app.config.get("CALLBACK_MAX_PENDING_PER_NUMBER")
                or settings.CALLBACK_MAX_PENDING_PER_NUMBER)
    waiting = t.s.scalar(select(func.count(Callback.id)).where(
        Callback.phone == phone, Callback.status.in_(CALLBACK_IN_LINE)))
    return Refusal.TOO_MANY if waiting >= limit else None


def start(t: Turn, queue: str, entry: QueueEntry | None) -> None:
    """Read back the caller ID's last digits, or ask for a number when it is withheld (no caller
    row) or is one we do not call back (the reason is said first)."""
    capture = _capture(t)
    phone = t.call.caller.phone if t.call.caller else None
    refused = refusal(t, phone) if phone else None
    if phone and refused is None:
        capture.method, capture.value, capture.status = "caller_id", phone, CaptureStatus.CONFIRMING
        _read_back(t, queue, entry, capture)
        return
    capture.method, capture.value, capture.status = "keypad", None, CaptureStatus.ASKED
    if refused is not None:
        calls.event(t.call, "capture", FIELD, refused.name.lower())
        qp.say(t.speaker, t.reply, refused.value)
    _ask_number(t, queue, entry)


def _read_back(t: Turn, queue: str, entry: QueueEntry | None, capture: Capture, attempt: int = 0) -> None:
    url = _url(queue, entry, attempt)
    gather = t.gather(url)
    digits = "".join(ch for ch in capture.value or "" if ch.isdigit())
    if capture.method == "caller_id":
        qp.say(t.speaker, gather, "callback_readback", digits=t.speaker.digits(digits[-READBACK_DIGITS:]))
    else:  # read back as it was keyed in: national numbers with their 0, others with 00
        typed = _policy().as_keyed(capture.value or "")
        qp.say(t.speaker, gather, "callback_typed", digits=t.speaker.digits(typed))
    t.reply.redirect(url, method="POST")


def _ask_number(t: Turn, queue: str, entry: QueueEntry | None, attempt: int = 0) -> None:
    url = _url(queue, entry, attempt)
    # Room for the longest number there is: 00 and fifteen digits; # ends a shorter one.
    gather = t.gather(url, num_digits=MAX_KEYED_DIGITS, finish_on_key="#", timeout=NUMBER_TIMEOUT_S)
    qp.say(t.speaker, gather, "callback_enter")
    t.reply.redirect(url, method="POST")


def handle(t: Turn, queue: str, entry: QueueEntry | None, digits: str, attempt: int) -> None:
    if queue not in t.flow.queues:
        engine.enter(t, t.flow.adviser)
        return
    capture = _capture(t)
    if capture.status == CaptureStatus.CONFIRMING:
        if digits == t.flow.answer_keys.confirm:
            book(t, queue, entry, capture)
        elif digits == t.flow.answer_keys.retry:
            capture.method, capture.value, capture.status = "keypad", None, CaptureStatus.ASKED
            _ask_number(t, queue, entry)
        elif attempt >= MAX_RETRIES:
            _give_up(t, entry, capture)
        else:
            t.say("no_input" if not digits else "invalid")
            _read_back(t, queue, entry, capture, attempt + 1)
        return
    phone = _policy().keyed(digits) if digits else None
    refused = refusal(t, phone) if digits else None
    if phone is not None and refused is None:
        capture.value, capture.status = phone, CaptureStatus.CONFIRMING
        _read_back(t, queue, entry, capture)
        return
    capture.attempts += 1
    calls.event(t.call, "capture", FIELD, refused.name.lower() if refused else "no_input")
    if attempt >= MAX_RETRIES:
        _give_up(t, entry, capture)
        return
    if refused is not None:
        qp.say(t.speaker, t.reply, refused.value)
    else:
        t.say("no_input")
    _ask_number(t, queue, entry, attempt + 1)


def _give_up(t: Turn, entry: QueueEntry | None, capture: Capture) -> None:
    """No number we can call: a message is the one way left that still reaches a person."""
    capture.value, capture.status = None, CaptureStatus.FAILED
    calls.event(t.call, "capture", FIELD, "failed")
    if entry is not None:
        legs.leave(t.s, entry, LegOutcome.VOICEMAIL, t.now)
    voicemail.voicemail(t)


def book(t: Turn, queue_name: str, entry: QueueEntry | None, capture: Capture) -> None:
    """Store the callback in the caller's place, say when to expect it, hang up."""
    queue = t.flow.queues[queue_name]
    if refusal(t, capture.value) is Refusal.TOO_MANY:  # booked meanwhile, from another call
        capture.method, capture.value, capture.status = "keypad", None, CaptureStatus.ASKED
        calls.event(t.call, "capture", FIELD, Refusal.TOO_MANY.name.lower())
        qp.say(t.speaker, t.reply, Refusal.TOO_MANY.value)
        _ask_number(t, queue_name, entry, MAX_RETRIES)
        return
    if entry is not None and entry.status in LEG_OPEN:
        if entry.status != LegStatus.WAITING or not legs.leave(t.s, entry, LegOutcome.CALLBACK, t.now):
            # An adviser claimed this caller a moment ago: their REST redirect is on its way;
            # should it never come, the connect step dials the adviser (or re-queues) itself.
            qp.say(t.speaker, t.reply, "queue_connecting")
            t.reply.pause(length=5)
            t.reply.redirect(url_for("ivr_queue.connect_caller", entry_id=entry.id), method="POST")
            return
        enqueued_at, priority = entry.enqueued_at, entry.priority
    else:
        enqueued_at, priority = t.now, queue.priority
    callback = Callback(call=t.call, queue_entry_id=entry.id if entry else None, queue=queue_name,
                        phone=capture.value or "", status=CallbackStatus.PENDING, requested_at=t.now,
                        enqueued_at=enqueued_at, priority=priority, language=t.speaker.lang)
    t.s.add(callback)
    capture.value, capture.status = None, CaptureStatus.CAPTURED  # the Callback row holds the number now
    calls.event(t.call, "callback", queue_name)
    t.call.outcome = CallOutcome.CALLBACK
    advisers = serving(t.s, queue_name, t.speaker.lang)
    if not is_open(t.flow.hours, t.now) or not advisers:
        qp.say(t.speaker, t.reply, "callback_booked_later")
    else:
        t.s.flush()
        place = hold.position_of_callback(t.s, queue_name, t.speaker.lang, priority, enqueued_at,
                                          entry.id if entry else None)
        on_duty = sum(1 for a in serving(t.s, queue_name, None) if a.status in ON_DUTY)
        minutes = hold.expected_minutes(place, hold.mean_handle_s(t.s, queue_name), on_duty)
        if minutes == 1:
            qp.say(t.speaker, t.reply, "callback_booked_one")
        else:
            qp.say(t.speaker, t.reply, "callback_booked", minutes=minutes)
    engine.goodbye(t)
