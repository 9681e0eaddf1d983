"""Callers say who they are and why they call; the IVR hears it through our own workers.

Real parts: Twilio's <Record> is followed by the simulator, the recording is served from a
loopback HTTP server as Twilio would serve it, the transcription job runs on a real RQ worker
(in-process, burst) against real Redis with the Korean Vosk model while the caller hears the
pause. English, Spanish and French have no model on this machine: for them the IVR is tested up
to that boundary (the job stores `no_model`, the call goes on and keeps the recording).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import func, select

from db.models import Call, Capture, Recording
from speech.intents import match_intent
from tests.support.recordings import KOREAN, recording_of, speech_wav

# The loopback server plays Twilio's API host (tests/support/recordings.py).
pytestmark = pytest.mark.usefixtures("recordings_at_twilios_api_host")


@pytest.fixture
def worker(redis_url) -> Callable[[], None]:
    """Run the speech queue's jobs now, as a worker would while the caller waits."""
    def run(seconds: float = 1) -> None:
        SimpleWorker(["speech"], connection=Redis.from_url(redis_url)).work(burst=True)
    return run


def test_a_korean_caller_says_their_name_and_hears_what_vosk_heard(phone, recordings, worker, s, tmp_path):
    p = phone().dial().press(KOREAN).press("6")
    assert p.last_heard.startswith("삐 소리가 나면 성함을 말씀하신 후")
    record = p.pending
    assert record.tag == "Record" and record.get("playBeep") == "true" and record.get("finishOnKey") == "#*"
    assert "kind=name" in record.get("recordingStatusCallback")
    p.while_paused = worker
    sid, url = recordings.publish(speech_wav(tmp_path, "김민수 입니다"))
    p.record(sid=sid, url=url, duration=2)
    rec = recording_of(s, p, "name")
    assert rec.status in {"transcribed", "no_speech"}  # whatever Vosk made of synthetic speech
    capture = s.get(Capture, rec.capture_id)
    if rec.status == "transcribed":
        assert p.last_heard == f"이렇게 들었습니다: {rec.text}. 맞으면 1번, 다시 말씀하시려면 2번을 누르세요."
        assert capture.status == "confirming"
        p.press("1")
        s.expire_all()
        assert s.get(Capture, rec.capture_id).status == "captured"
    else:
        assert capture.status == "recorded"
    assert p.last_heard.startswith("삐 소리가 나면 전화하신 이유를")  # on to the reason


def test_without_a_model_for_the_language_the_call_goes_on_and_keeps_the_recording(
        phone, recordings, worker, s, tmp_path):
    p = phone().dial().press("1").press("6")
    p.while_paused = worker
    sid, url = recordings.publish(speech_wav(tmp_path, "John Smith", voice="en"))
    p.record(sid=sid, url=url, duration=2)
    rec = recording_of(s, p, "name")
    assert rec.status == "no_model" and rec.text is None
    assert "Thank you, we have recorded it." in p.heard_since(-3)
    assert p.last_heard.startswith("After the tone, briefly say why you are calling")
    assert s.get(Capture, rec.capture_id).status == "recorded"


def test_when_the_transcript_is_late_the_flow_goes_on(phone, recordings, s, tmp_path):
    p = phone().dial().press(KOREAN).press("6")
    sid, url = recordings.publish(speech_wav(tmp_path, "김민수"))
    p.record(sid=sid, url=url, duration=2)  # no worker runs: the text never comes in time
    assert "잠시만 기다려 주세요." in p.heard_since(0)
    assert p.last_heard.startswith("삐 소리가 나면 전화하신 이유를")
    rec = recording_of(s, p, "name")
    assert rec.status == "queued" and rec.url == url  # kept, and still on its way to a worker


def test_star_skips_and_silence_is_asked_again_then_passed(phone, s):
    p = phone().dial().press("1").press("6")
    p.request(p.pending.get("action"), Digits="*")
    assert p.last_heard.startswith("After the tone, briefly say why you are calling")
    p.silence()  # nothing recorded: Twilio runs the verb after <Record>, the skip offer
    assert p.pending.tag == "Gather" and p.last_heard.startswith("Nothing was recorded.")
    p.silence()  # no key either: no speech, asked again
    assert "Sorry, we did not hear anything." in p.heard_since(-2)
    p.silence().silence().silence().silence()
    assert p.last_heard.startswith("Main menu.")  # reason never given: the caller chooses
    captures = {c.field: c.status for c in s.scalar(select(Call).where(Call.sid == p.sid)).captures}
    assert captures == {"name": "skipped", "reason": "failed"}


def worker_result(s, p, **fields) -> Callable[[], None]:
    """Store a finished transcript as the speech job does (for languages with no model here)."""
    def store(seconds: float = 1) -> None:
        rec = recording_of(s, p, "reason")
        for key, value in fields.items():
            setattr(rec, key, value)
        rec.status = "transcribed"
        s.commit()
    return store


def test_a_spoken_reason_picks_the_queue(phone, app, s):
    flow = app.extensions["jobline.flow"]
    text = "my benefit payment has not arrived"
    intent, score = match_intent(text, flow.intents, "en", flow.intent_threshold)
    assert intent == "benefits"
    p = phone().dial().press("1").press("6")
    p.request(p.pending.get("action"), Digits="*")
    p.while_paused = worker_result(s, p, text=text, intent=intent, intent_score=score)
    p.record(duration=4)
    s.expire_all()
    call = s.scalar(select(Call).where(Call.sid == p.sid))
    assert call.reason == "benefits"
    assert [e.node for e in call.events if e.kind == "enter"][-1] == "adviser_benefits"


def test_an_unclear_reason_gives_the_caller_the_menu(phone, s):
    p = phone().dial().press("1").press("6")
    p.request(p.pending.get("action"), Digits="*")
    p.while_paused = worker_result(s, p, text="hello there", intent=None, intent_score=0.2)
    p.record(duration=4)
    assert p.last_heard.startswith("Main menu.")


def test_recording_callbacks_with_redis_down_keep_the_recording_pending(make_app, phone):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    p = phone(on=app).dial().press("1").press("6")
    p.record(duration=3)
    from db import session as db

    with db.SessionLocal() as s:
        rec = s.scalar(select(Recording).join(Call).where(Call.sid == p.sid))
        assert rec.status == "pending"  # the sweeper queues it when Redis is back


def test_duplicate_recording_callbacks_at_once_make_one_row_and_one_job(app, phone, s, redis_url):
    p = phone().dial().press("1").press("6")
    callback = p.pending.get("recordingStatusCallback")
    fields = p.params(RecordingSid="RE" + "c" * 32, RecordingStatus="completed", RecordingDuration="3",
                      RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "c" * 32)
    barrier = threading.Barrier(8)
    statuses = []

    def send() -> None:
        barrier.wait()
        statuses.append(p.post(callback, fields)[0])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [204] * 8
    assert s.scalar(select(func.count()).select_from(Recording)) == 1
    assert Redis.from_url(redis_url).llen("rq:queue:speech") == 1
