"""Spoken answers: after a tone the caller says their name, reason, town or ID number.

Twilio records; the <Record> action stores the audio reference and queues its transcription at
once on the PES's own workers (Vosk, offline), keyed by RecordingSid, so the recording status
callback, which Twilio sends after the action and which can lag, only confirms it (and re-queues
a recording fetched before Twilio had it ready). The call never waits on the text for more than
TRANSCRIPT_WAIT_S: it polls with one-second pauses; text in time is read back for confirmation
(or, for a reason, picks the queue); too late, the flow goes on and the recording and its
transcript, when it comes, stay for the adviser. A spoken ID number that fails its checksum
goes back to the keypad.

Skipping: the flow's skip key (answer_keys.skip, `*`) ends the recording (finishOnKey). After
some speech the action gets Digits=* and the step is skipped. Right after the tone the
recording is empty, and for an empty recording Twilio requests no action and runs the next verb
(http://www.twilio.com/docs/api/twiml/record, "action": "There is one exception: if Twilio
receives an empty recording, it will not make a request to the 'action' URL"; the key is not
reported anywhere): that verb is a short <Gather> offering the skip key
(prompts.record_skip_offer), so the caller is not told "we did not hear anything" and asked
again as if they had been silent.
"""

from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import select
from twilio.twiml.voice_response import Gather

from config import settings
from config.flow import Node
from db.models import Capture, Recording
from db.states import RECORDING_FINISHED, CaptureStatus
from ivr import calls, durations
from ivr.actions.capture import current_capture, read_back
from ivr.engine import MAX_RETRIES, Turn, enter
from ivr.recordings import queue_transcription, store_recording

SKIP_OFFER_S = 4  # how long the skip offer after an empty recording waits for the key
DONE_STATUSES = frozenset(RECORDING_FINISHED)


def _wait_url(node: Node, wait: int) -> str:
    return url_for("ivr.node_input", node=node.id, wait=wait)


def _key_gather(t: Turn, node: Node, timeout: int) -> Gather:
    """One key, `*` and `#` included (finishOnKey empty), posted to the node's input URL."""
    return t.gather(t.input_url(node.id), num_digits=1, timeout=timeout, finish_on_key="")


def ask(t: Turn, node: Node) -> None:
    capture = current_capture(t, node)
    capture.status = CaptureStatus.ASKED
    t.speaker.said(t.reply, f"nodes.{node.id}.prompt",
                   t.flow.fill(node.prompt[t.speaker.lang], t.speaker.lang))  # "press {skip}"
    t.reply.record(
        action=t.input_url(node.id), method="POST", max_length=node.max_seconds, timeout=3,
        play_beep=True, trim="trim-silence", finish_on_key="#" + t.flow.answer_keys.skip,
        recording_status_callback=url_for("ivr.recording_done", kind=node.field, capture=capture.id),
        recording_status_callback_method="POST", recording_status_callback_event="completed absent",
    )
    # Reached only on an empty recording (a key at once, or silence): offer the skip, then on
    # silence the redirect counts it as "no speech".
    t.say("record_skip_offer", _key_gather(t, node, SKIP_OFFER_S))
    t.reply.redirect(t.input_url(node.id), method="POST")


def answered(t: Turn, node: Node, digits: str, attempt: int) -> None:
    capture = current_capture(t, node)
    if capture.status == CaptureStatus.CONFIRMING:
        _confirm(t, node, capture, digits, attempt)
    elif capture.status == CaptureStatus.RECORDED:
        _poll(t, node, capture)
    elif digits == t.flow.answer_keys.skip:  # from a skip <Gather>, or ending a recording (dropped)
        capture.status = CaptureStatus.SKIPPED
        calls.event(t.call, "capture", node.id, CaptureStatus.SKIPPED)
        enter(t, node.next or t.flow.start)
    else:
        _recorded(t, node, capture)


def _recorded(t: Turn, node: Node, capture: Capture) -> None:
    if not t.form.get("RecordingSid") or not durations.seconds(t.form.get("RecordingDuration")):
        capture.attempts += 1
        calls.event(t.call, "capture", node.id, "no_speech")
        if capture.attempts > MAX_RETRIES:
            _move_on(t, node, capture, CaptureStatus.FAILED)
            return
        t.say("record_no_speech")
        ask(t, node)
        return
    recording = store_recording(t.s, t.form, node.field or "reason", t.call, capture_id=capture.id)
    if recording is not None:  # start now: the status callback comes later, and may lag
        redis_url = current_app.config.get("REDIS_URL", "")
        t.after_commit.append(lambda: queue_transcription(redis_url, recording))
    capture.status = CaptureStatus.RECORDED
    calls.event(t.call, "capture", node.id, "recorded")
    if not (node.confirm or node.route_by_intent or node.field == "id_number"):
        t.say("record_thanks")
        enter(t, node.next or t.flow.start)
        return
    t.say("record_wait")
    _pause_then_poll(t, node, 1)


def _pause_then_poll(t: Turn, node: Node, wait: int) -> None:
    t.reply.pause(length=1)
    t.reply.redirect(_wait_url(node, wait), method="POST")


def _recording_of(t: Turn, capture: Capture) -> Recording | None:
    return t.s.scalar(select(Recording).where(Recording.capture_id == capture.id)
                      .order_by(Recording.id.desc()).limit(1))


def _poll(t: Turn, node: Node, capture: Capture) -> None:
    recording = _recording_of(t, capture)
    wait = int(t.args.get("wait", "0") or 0) if str(t.args.get("wait", "0")).isdigit() else 0
    if recording is None or recording.status not in DONE_STATUSES:
        if wait < current_app.config.get("TRANSCRIPT_WAIT_S", settings.TRANSCRIPT_WAIT_S):
            _pause_then_poll(t, node, wait + 1)
            return
        calls.event(t.call, "capture", node.id, "transcript_late")
        _move_on(t, node, capture, CaptureStatus.RECORDED)  # the adviser has the recording
        return
    if node.field == "id_number":
        _spoken_number(t, node, capture, recording)
    elif node.route_by_intent:
        _route(t, node, capture, recording)
    elif recording.text and not t.flow.language(t.speaker.lang).recorded_only:
        capture.status = CaptureStatus.CONFIRMING
        _read_text_back(t, node, recording.text)
    else:  # no words, or a language heard only from recordings: they cannot say the caller's words
        _move_on(t, node, capture, CaptureStatus.CAPTURED if recording.text else CaptureStatus.RECORDED)


def _spoken_number(t: Turn, node: Node, capture: Capture, recording: Recording) -> None:
    digits = recording.numbers or ""
    if t.flow.id_number.valid(digits):
        capture.value, capture.status = digits, CaptureStatus.CONFIRMING
        read_back(t, node, capture)
        return
    calls.event(t.call, "capture", node.id, "spoken_invalid")
    keypad = next((n for n in t.flow.nodes.values() if n.spoken == node.id), None)
    t.say("spoken_id_failed")
    if keypad is not None and capture.attempts <= MAX_RETRIES:
        capture.status, capture.attempts = CaptureStatus.ASKED, capture.attempts + 1
        enter(t, keypad.id)
    else:
        _move_on(t, node, capture, CaptureStatus.FAILED)


def _route(t: Turn, node: Node, capture: Capture, recording: Recording) -> None:
    capture.status = CaptureStatus.CAPTURED if recording.text else CaptureStatus.RECORDED
    intent, score = recording.intent, recording.intent_score or 0.0
    if intent in t.flow.intent_routes and score >= t.flow.intent_threshold:
        t.call.reason = intent
        calls.event(t.call, "intent", node.id, intent)
        t.say("record_thanks")
        enter(t, t.flow.intent_routes[intent])
    else:
        calls.event(t.call, "intent", node.id, "unclear")
        t.say("record_thanks")
        enter(t, node.next or t.flow.start)


def _read_text_back(t: Turn, node: Node, text: str, attempt: int = 0) -> None:
    gather = t.gather(t.input_url(node.id, attempt))
    t.say("record_heard", gather, text=text[:200])
    t.reply.redirect(t.input_url(node.id, attempt), method="POST")


def _confirm(t: Turn, node: Node, capture: Capture, digits: str, attempt: int) -> None:
    if digits == t.flow.answer_keys.confirm:  # record_heard, or capture_readback for a number
        _move_on(t, node, capture, CaptureStatus.CAPTURED)
    elif digits == t.flow.answer_keys.retry:
        capture.value = None
        calls.event(t.call, "capture", node.id, "retry")
        ask(t, node)
    elif attempt >= MAX_RETRIES:
        _move_on(t, node, capture, CaptureStatus.UNCONFIRMED)
    else:
        t.say("no_input" if not digits else "invalid")
        if node.field == "id_number":
            read_back(t, node, capture, attempt + 1)
        else:
            recording = _recording_of(t, capture)
            _read_text_back(t, node, (recording.text if recording else "") or "", attempt + 1)


def _move_on(t: Turn, node: Node, capture: Capture, status: str) -> None:
    capture.status = status
    calls.event(t.call, "capture", node.id, status)
    if status != CaptureStatus.FAILED:
        t.say("record_thanks")
    enter(t, node.next or t.flow.start)
