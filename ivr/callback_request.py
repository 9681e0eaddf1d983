"""Asking for a callback: confirm the number to call, store the Callback, say when to expect it.

The caller keeps their place: a Callback carries the queue leg's enqueued_at and priority, and
callcenter/callbacks.py serves it in that order against callers still on hold. The number is
read from the caller ID (only its last digits are read back) or keyed in; it travels in the
request body, waits on a Capture row while being confirmed, and ends on the Callback row:
never in a URL or a log line.
"""

from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import select

from config.hours import is_open
from db.models import Callback, Capture, QueueEntry
from ivr import calls, engine, hold, legs, voicemail
from ivr import queue_prompts as qp
from ivr.callstate import E164
from ivr.engine import MAX_RETRIES, Turn

FIELD = "callback_phone"
NUMBER_TIMEOUT_S = 12
READBACK_DIGITS = 4


def _url(queue: str, entry: QueueEntry | None, attempt: int = 0) -> str:
    return url_for("ivr_queue.callback_input", queue=queue, entry_id=entry.id if entry else 0,
                   attempt=attempt)


def _capture(t: Turn) -> Capture:
    capture = t.s.scalar(select(Capture).where(Capture.call_id == t.call.id, Capture.field == FIELD)
                         .order_by(Capture.id.desc()).limit(1)) if t.call.id else None
    if capture is None:
        capture = Capture(field=FIELD, method="caller_id", status="asked")
        t.call.captures.append(capture)
    return capture


def start(t: Turn, queue: str, entry: QueueEntry | None) -> None:
    """Read back the caller ID's last digits, or ask for a number when it is withheld."""
    capture = _capture(t)
    phone = t.call.caller.phone if t.call.caller else None
    if phone:
        capture.method, capture.value, capture.status = "caller_id", phone, "confirming"
        _read_back(t, queue, entry, capture)
    else:
        capture.method, capture.value, capture.status = "keypad", None, "asked"
        _ask_number(t, queue, entry)


def _read_back(t: Turn, queue: str, entry: QueueEntry | None, capture: Capture, attempt: int = 0) -> None:
    url = _url(queue, entry, attempt)
    gather = t.gather(url)
    digits = "".join(ch for ch in capture.value or "" if ch.isdigit())
    if capture.method == "caller_id":
        qp.say(t.speaker, gather, "callback_readback", digits=t.speaker.digits(digits[-READBACK_DIGITS:]))
    else:  # read back as it was keyed in: national numbers with their 0, others with 00
        national = digits.removeprefix(_country()) if digits.startswith(_country()) else None
        typed = "0" + national if national is not None else "00" + digits
        qp.say(t.speaker, gather, "callback_typed", digits=t.speaker.digits(typed))
    t.reply.redirect(url, method="POST")


def _country() -> str:
    """The country code of national numbers keyed in (a leading 0), from CALLBACK_COUNTRY_CODE."""
    return str(current_app.config.get("CALLBACK_COUNTRY_CODE", "44"))


def _ask_number(t: Turn, queue: str, entry: QueueEntry | None, attempt: int = 0) -> None:
    url = _url(queue, entry, attempt)
    gather = t.gather(url, num_digits=16, finish_on_key="#", timeout=NUMBER_TIMEOUT_S)
    qp.say(t.speaker, gather, "callback_enter")
    t.reply.redirect(url, method="POST")


def normalise(digits: str, country_code: str) -> str | None:
    """Keyed-in digits as E.164: 00 = international, a leading 0 = national, else with country."""
    digits = digits.rstrip("#")
    if not digits.isdigit():
        return None
    if digits.startswith("00"):
        phone = "+" + digits[2:]
    elif digits.startswith("0"):
        phone = f"+{country_code}{digits[1:]}"
    else:
        phone = "+" + digits
    return phone if E164.match(phone) else None


def handle(t: Turn, queue: str, entry: QueueEntry | None, digits: str, attempt: int) -> None:
    if queue not in t.flow.queues:
        engine.enter(t, t.flow.adviser)
        return
    capture = _capture(t)
    if capture.status == "confirming":
        if digits == "1":
            book(t, queue, entry, capture)
        elif digits == "2":
            capture.method, capture.value, capture.status = "keypad", None, "asked"
            _ask_number(t, queue, entry)
        elif attempt >= MAX_RETRIES:
            _give_up(t, entry, capture)
        else:
            t.say("no_input" if not digits else "invalid")
            _read_back(t, queue, entry, capture, attempt + 1)
        return
    phone = normalise(digits, _country()) if digits else None
    if phone is not None:
        capture.value, capture.status = phone, "confirming"
        _read_back(t, queue, entry, capture)
        return
    capture.attempts += 1
    calls.event(t.call, "capture", FIELD, "invalid" if digits else "no_input")
    if attempt >= MAX_RETRIES:
        _give_up(t, entry, capture)
        return
    if digits:
        qp.say(t.speaker, t.reply, "callback_invalid")
    else:
        t.say("no_input")
    _ask_number(t, queue, entry, attempt + 1)


def _give_up(t: Turn, entry: QueueEntry | None, capture: Capture) -> None:
    """No number we can call: a message is the one way left that still reaches a person."""
    capture.value, capture.status = None, "failed"
    calls.event(t.call, "capture", FIELD, "failed")
    if entry is not None:
        legs.leave(t.s, entry, "voicemail", t.now)
    voicemail.voicemail(t)


def book(t: Turn, queue_name: str, entry: QueueEntry | None, capture: Capture) -> None:
    """Store the callback in the caller's place, say when to expect it, hang up."""
    queue = t.flow.queues[queue_name]
    if entry is not None and entry.status in legs.OPEN:
        if entry.status != "waiting" or not legs.leave(t.s, entry, "callback", t.now):
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
                        phone=capture.value or "", status="pending", requested_at=t.now,
                        enqueued_at=enqueued_at, priority=priority, language=t.speaker.lang)
    t.s.add(callback)
    capture.value, capture.status = None, "captured"  # the Callback row holds the number now
    calls.event(t.call, "callback", queue_name)
    t.call.outcome = "callback"
    advisers = legs.advisers_on(t.s, queue_name, t.speaker.lang)
    if not is_open(t.flow.hours, t.now) or not advisers:
        qp.say(t.speaker, t.reply, "callback_booked_later")
    else:
        t.s.flush()
        place = hold.position_of_callback(t.s, queue_name, t.speaker.lang, priority, enqueued_at,
                                          entry.id if entry else None)
        on_duty = sum(1 for a in legs.advisers_on(t.s, queue_name, None) if a.status in legs.ON_DUTY)
        minutes = hold.expected_minutes(place, hold.mean_handle_s(t.s, queue_name), on_duty)
        if minutes == 1:
            qp.say(t.speaker, t.reply, "callback_booked_one")
        else:
            qp.say(t.speaker, t.reply, "callback_booked", minutes=minutes)
    engine.goodbye(t)
