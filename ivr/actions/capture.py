"""Keypad capture of an ID number: length and checksum from config, read back for confirmation.

The digits travel in the request body only and are stored on the Capture row: never in a URL
or a log line. Three failed tries hand the caller on with an apology, never a dead end.
"""

from __future__ import annotations

from sqlalchemy import select

from config.flow import Node
from db.models import Capture
from db.states import CaptureStatus
from ivr import calls
from ivr.engine import MAX_RETRIES, Turn, enter

CAPTURE_TIMEOUT_S = 10


def current_capture(t: Turn, node: Node) -> Capture:
    """The call's latest capture of this node's field (keyed or spoken), created on first ask."""
    capture = t.s.scalar(
        select(Capture).where(Capture.call_id == t.call.id, Capture.field == node.field)
        .order_by(Capture.id.desc()).limit(1)
    ) if t.call.id else None
    method = "speech" if node.action == "record" else "keypad"
    if capture is None:
        capture = Capture(call_id=t.call.id, field=node.field or "id_number", method=method,
                          status=CaptureStatus.ASKED)
        t.s.add(capture)
        t.s.flush()
    capture.method = method
    return capture


def ask(t: Turn, node: Node, attempt: int = 0) -> None:
    capture = current_capture(t, node)
    capture.status = CaptureStatus.ASKED
    gather = t.gather(t.input_url(node.id, attempt), num_digits=t.flow.id_number.length + 1,
                      finish_on_key="#", timeout=CAPTURE_TIMEOUT_S + (5 if t.call.slow_speech else 0))
    t.speaker.said(gather, f"nodes.{node.id}.prompt",
                   t.flow.fill(node.prompt[t.speaker.lang], t.speaker.lang))  # "press {skip}"
    t.reply.redirect(t.input_url(node.id, attempt), method="POST")


def capture_input(t: Turn, node: Node, digits: str, attempt: int) -> None:
    capture = current_capture(t, node)
    if capture.status == CaptureStatus.CONFIRMING:
        confirm(t, node, capture, digits, attempt)
        return
    if digits == t.flow.answer_keys.skip:
        capture.status = CaptureStatus.SKIPPED
        calls.event(t.call, "capture", node.id, CaptureStatus.SKIPPED)
        enter(t, node.next or t.flow.start)
        return
    digits = digits.rstrip("#")
    if t.flow.id_number.valid(digits):
        capture.value, capture.status = digits, CaptureStatus.CONFIRMING
        read_back(t, node, capture)
        return
    capture.attempts += 1
    calls.event(t.call, "capture", node.id, "no_input" if not digits else "invalid")
    if not digits and node.spoken and capture.attempts == 1:
        enter(t, node.spoken)  # nothing keyed in: perhaps easier to say it
        return
    if capture.attempts > MAX_RETRIES:
        _give_up(t, node, capture)
        return
    if digits:
        t.say("capture_invalid", length=t.flow.id_number.length)
    else:
        t.say("no_input")
    ask(t, node, attempt + 1)


def read_back(t: Turn, node: Node, capture: Capture, attempt: int = 0) -> None:
    gather = t.gather(t.input_url(node.id, attempt))
    t.say("capture_readback", gather, digits=t.speaker.digits(capture.value or ""))
    t.reply.redirect(t.input_url(node.id, attempt), method="POST")


def confirm(t: Turn, node: Node, capture: Capture, digits: str, attempt: int) -> None:
    if digits == t.flow.answer_keys.confirm:
        capture.status = CaptureStatus.CAPTURED
        calls.event(t.call, "capture", node.id, "captured")
        t.say("capture_thanks")
        enter(t, node.next or t.flow.start)
    elif digits == t.flow.answer_keys.retry:
        capture.value, capture.status = None, CaptureStatus.ASKED
        calls.event(t.call, "capture", node.id, "retry")
        ask(t, node)
    elif attempt >= MAX_RETRIES:
        _give_up(t, node, capture)
    else:
        t.say("no_input" if not digits else "invalid")
        read_back(t, node, capture, attempt + 1)


def _give_up(t: Turn, node: Node, capture: Capture) -> None:
    capture.status = CaptureStatus.UNCONFIRMED if capture.value else CaptureStatus.FAILED
    calls.event(t.call, "capture", node.id, capture.status)
    t.say("capture_gave_up")
    enter(t, node.next or t.flow.adviser)
