"""Recording steps as Twilio runs them: `*` right after the tone, and a late status callback.

Twilio requests no <Record> action for an empty recording and runs the next verb, and sends the
recording status callback after the action, sometimes seconds later
(https://www.twilio.com/docs/voice/twiml/record; ivr/SIMULATOR.md). The simulator does both;
transcription runs on a real RQ worker against real Redis with the Korean Vosk model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import func, select

from db.models import Call, CallEvent, Capture, Recording
from tests.support.recordings import KOREAN, recording_of, speech_wav

# The loopback server plays Twilio's API host (tests/support/recordings.py).
pytestmark = pytest.mark.usefixtures("recordings_at_twilios_api_host")

DONE = {"transcribed", "no_speech"}
LATE_S = 30.0  # the status callback comes long after the caller's wait for a transcript


@pytest.fixture
def worker(redis_url) -> Callable[[float], None]:
    """The speech worker, running whatever is queued while the caller hears a pause."""
    def run(seconds: float = 1) -> None:
        SimpleWorker(["speech"], connection=Redis.from_url(redis_url)).work(burst=True)
    return run


def events(s, p, kind: str) -> list[str | None]:
    s.expire_all()
    call = s.scalar(select(Call).where(Call.sid == p.sid))
    return list(s.scalars(select(CallEvent.detail).where(CallEvent.call_id == call.id,
                                                         CallEvent.kind == kind)))


def test_star_right_after_the_tone_skips_the_step(phone, s):
    p = phone().dial().press("1").press("6")
    assert p.pending.tag == "Record"
    p.record(duration=0, key="*")  # an empty recording: Twilio posts no action, runs the next verb
    assert p.last_heard == ("Nothing was recorded. To skip this question, press star. "
                            "To try again, stay on the line.")
    p.press("*")
    assert p.last_heard.startswith("After the tone, briefly say why you are calling")
    assert "Sorry, we did not hear anything." not in p.heard_since(0)
    captures = {c.field: c.status for c in s.scalar(select(Call).where(Call.sid == p.sid)).captures}
    assert captures == {"name": "skipped", "reason": "asked"}
    assert "no_speech" not in events(s, p, "capture")


def test_a_late_recording_callback_still_gets_the_name_read_back(phone, recordings, worker, s, redis_url,
                                                                 tmp_path):
    p = phone().dial().press(KOREAN).press("6")
    p.recording_delay, p.while_paused = LATE_S, worker
    sid, url = recordings.publish(speech_wav(tmp_path, "김민수 입니다"))
    p.record(sid=sid, url=url, duration=2)
    assert len(p.due) == 1  # Twilio's callback has not come: the caller's wait is over first
    rec = recording_of(s, p, "name")
    assert rec.status in DONE and rec.url == url  # transcribed from the <Record> action
    assert "transcript_late" not in events(s, p, "capture")
    if rec.status == "transcribed":
        assert p.last_heard == f"이렇게 들었습니다: {rec.text}. 맞으면 1번, 다시 말씀하시려면 2번을 누르세요."
    else:
        assert p.last_heard.startswith("삐 소리가 나면 전화하신 이유를")
    p.hangup()  # the late callback arrives now: it only confirms the same recording
    s.expire_all()
    assert s.scalar(select(func.count()).select_from(Recording)) == 1
    assert recording_of(s, p, "name").status == rec.status
    assert Redis.from_url(redis_url).llen("rq:queue:speech") == 0  # no second transcription


def test_a_transcript_too_late_for_the_caller_reaches_the_adviser_and_the_menu_takes_over(
        phone, recordings, worker, s, tmp_path):
    p = phone().dial().press(KOREAN).press("6")
    p.record(duration=0, key="*")
    p.press("*")  # no name: on to the reason
    assert p.last_heard.startswith("삐 소리가 나면 전화하신 이유를")
    p.recording_delay = LATE_S  # and no worker runs while the caller waits: the text is late
    sid, url = recordings.publish(speech_wav(tmp_path, "실업급여 문의입니다"))
    p.record(sid=sid, url=url, duration=3)
    assert p.last_heard.startswith("주 메뉴입니다.")
    assert events(s, p, "capture")[-2:] == ["transcript_late", "recorded"]
    assert events(s, p, "intent") == []  # no intent guessed without a transcript
    rec = recording_of(s, p, "reason")
    assert rec.status == "queued"  # on its way to a worker before Twilio's callback came
    assert s.get(Capture, rec.capture_id).status == "recorded"
    worker()  # the worker gets to it while the caller is in the menu
    p.hangup()
    rec = recording_of(s, p, "reason")
    assert rec.status in DONE and s.get(Capture, rec.capture_id).field == "reason"  # the adviser's


def test_a_recording_fetched_before_twilio_had_it_is_transcribed_once_the_callback_says_completed(
        phone, recordings, worker, s, redis_url, tmp_path):
    from speech.housekeeping import sweep_stuck_recordings

    p = phone().dial().press(KOREAN).press("6")
    p.recording_delay, p.while_paused = LATE_S, worker
    sid, url = recordings.publish(speech_wav(tmp_path, "김민수 입니다"))
    path = url.split(f":{recordings.server.server_port}", 1)[1] + ".wav"
    audio = recordings.files.pop(path)  # Twilio is still processing it: 404 for now
    p.record(sid=sid, url=url, duration=2)
    assert recording_of(s, p, "name").status == "download_failed"
    assert p.last_heard.startswith("삐 소리가 나면 전화하신 이유를")  # the caller goes on
    recordings.files[path] = audio
    p.hangup()  # Twilio's "completed" callback: the file is there now
    assert recording_of(s, p, "name").status == "queued"
    sweep_stuck_recordings(Redis.from_url(redis_url), now=datetime.now(UTC) + timedelta(minutes=10))
    worker()
    rec = recording_of(s, p, "name")
    assert rec.status in DONE and s.get(Capture, rec.capture_id).field == "name"  # for the adviser
