"""Recordings Twilio made on a call: voicemails now, spoken captures later.

The recording status callback and the <Record> action may both report the same RecordingSid,
in any order and more than once: the row is created once and only gains information.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.broker import redis_for
from db.models import Call, Recording
from db.states import RecordingStatus
from ivr import durations
from ivr.calls import clean_sid, find_call
from speech.jobs import enqueue_transcription

log = logging.getLogger(__name__)

KINDS = {"voicemail", "name", "reason", "town", "id_number"}


def store_recording(
    s: Session, form: Mapping[str, str], kind: str, call: Call | None = None, capture_id: int | None = None
) -> Recording | None:
    """Create or update the Recording for form['RecordingSid']; None when the sid is unusable."""
    sid = clean_sid(form.get("RecordingSid"))
    if sid is None:
        return None
    call = call or find_call(s, clean_sid(form.get("CallSid")))
    recording = s.scalar(select(Recording).where(Recording.sid == sid))
    if recording is None:
        recording = Recording(sid=sid, call_id=call.id if call else None, capture_id=capture_id,
                              kind=kind if kind in KINDS else "voicemail",
                              language=call.language if call else None)
        try:
            with s.begin_nested():
                s.add(recording)
                s.flush()
        except IntegrityError:  # the other callback stored it at the same moment
            recording = s.scalar(select(Recording).where(Recording.sid == sid))
            if recording is None:
                raise
    url = (form.get("RecordingUrl") or "").strip()
    if url.startswith("https://") or url.startswith("http://"):
        recording.url = url[:500]
    duration = durations.seconds(form.get("RecordingDuration"))
    if duration is not None:
        recording.duration_s = duration
    status = (form.get("RecordingStatus") or "").strip().lower()
    if status == "completed" and recording.status == RecordingStatus.DOWNLOAD_FAILED:
        # Fetched from the <Record> action before Twilio had the file ready (recordings "may not
        # always be ready right away", https://support.twilio.com/hc/en-us/articles/360014251313):
        # the "completed" callback says it is now, so transcribe it again.
        recording.status, recording.status_reason = RecordingStatus.PENDING, None
    if status in {"absent", "failed"}:
        recording.status = status
        recording.status_reason = (
            "Twilio reported no audio" if status == "absent" else "Twilio failed to record"
        )
    return recording


def queue_transcription(redis_url: str, recording: Recording) -> None:
    """After commit: queue the transcription of a recording with audio (never raises).

    With Redis down the recording stays 'pending' and the sweeper queues it later; the webhook
    answers Twilio either way.
    """
    if recording.status != RecordingStatus.PENDING or not recording.url or not redis_url:
        return
    try:
        enqueue_transcription(redis_for(redis_url), recording.id)
    except Exception:  # Redis down or slow: the sweeper will find the 'pending' row
        log.warning("could not queue recording %s for transcription; it stays pending", recording.id)
