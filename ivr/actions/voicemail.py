"""A message for the PES: the `voicemail` action of the flow, its <Record>, and what the caller
hears once Twilio has the recording. The audio itself is stored by the recording status
callback (ivr/recordings.py, `POST /ivr/recording`)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import url_for
from twilio.twiml.voice_response import VoiceResponse

from config.flow import Node
from ivr import calls, durations
from ivr.engine import Turn, enter, goodbye
from ivr.recordings import store_recording


def voicemail(t: Turn, node: Node | None = None) -> None:
    t.state.node = "voicemail"
    t.say("voicemail")
    record_voicemail(t.reply)
    # An empty recording (silence, or # at once) requests no action: Twilio runs the next verb
    # (http://www.twilio.com/docs/api/twiml/record, "action"), so that verb says so.
    t.reply.redirect(url_for("ivr.voicemail_done"), method="POST")


def record_voicemail(reply: VoiceResponse) -> None:
    """The <Record> of a message: beep, two minutes, # to finish, stored by its callback."""
    reply.record(
        action=url_for("ivr.voicemail_done"), method="POST", max_length=120, timeout=5,
        finish_on_key="#", play_beep=True, trim="trim-silence",
        recording_status_callback=url_for("ivr.recording_done", kind="voicemail"),
        recording_status_callback_method="POST", recording_status_callback_event="completed absent",
    )


def message_done(t: Turn, form: Mapping[str, str]) -> None:
    """The <Record> ended: thanks and goodbye for a message, back to the start for silence."""
    duration = durations.seconds(form.get("RecordingDuration"))
    if form.get("RecordingSid") and duration:
        store_recording(t.s, form, "voicemail", t.call)
        calls.event(t.call, "voicemail", detail=f"{duration}s")
        t.say("voicemail_saved")
        goodbye(t)
    else:
        calls.event(t.call, "voicemail", detail="empty")
        t.say("voicemail_empty")
        enter(t, t.flow.start)
