"""A caller's recording, stored by the IVR, becomes a transcript on the desk: the job end to
end on a real database, real Redis, real Vosk and a loopback server in Twilio's place."""

from __future__ import annotations

import base64
import json
import socket
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import vosk
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from config import settings
from speech import audio, download, jobs, registry
from speech.intents import match_intent
from speech.numbers import digit_grammar, spoken_digits
from speech.transcribe import CHUNK_BYTES, transcribe


def _vosk_directly(path) -> tuple[str, list[dict]]:
    """Vosk's own API on the file, with no project code in between."""
    with wave.open(str(path)) as w:
        rate, pcm = w.getframerate(), w.readframes(w.getnframes())
    rec = vosk.KaldiRecognizer(registry.get("ko"), rate)
    rec.SetWords(True)
    segments = []
    for i in range(0, len(pcm), CHUNK_BYTES):
        if rec.AcceptWaveform(pcm[i : i + CHUNK_BYTES]):
            segments.append(json.loads(rec.Result()))
    segments.append(json.loads(rec.FinalResult()))
    words = [w for seg in segments for w in seg.get("result", [])]
    return " ".join(s["text"] for s in segments if s["text"]), words


def test_pipeline_stores_exactly_what_vosk_returns(clips, twilio_media, make_recording, stored):
    url = twilio_media.recording("ko16", clips.bytes("ko16"))
    rid = make_recording(url)
    registry.preload(["ko"])  # as the worker does before taking jobs
    summary = jobs.transcribe_recording(rid)
    rec = stored(rid)
    text, words = _vosk_directly(clips["ko16"])
    assert text  # the comparison means something only when Vosk heard words
    assert (rec.status, rec.text, rec.words) == ("transcribed", text, words)
    assert rec.confidence == pytest.approx(sum(w["conf"] for w in words) / len(words))
    assert rec.attempts == 1 and rec.started_at <= rec.finished_at
    assert summary["status"] == "transcribed" and summary["model_loads"] == 0
    # fetched as Twilio serves it: RecordingUrl + ".wav", with the account's basic auth
    assert [(m, p) for m, p, _ in twilio_media.requests if m == "GET"] == [
        ("GET", url[len(twilio_media.base):] + ".wav")]
    assert twilio_media.requests[0][2] is not None
    # kept under RECORDINGS_DIR, named by id only
    assert rec.audio_path == str(settings.RECORDINGS_DIR / f"{rid}.wav")
    assert (settings.RECORDINGS_DIR / f"{rid}.wav").read_bytes() == clips.bytes("ko16")


@pytest.mark.slow  # three decodes of synthetic Korean: over 20 s on this shared machine
def test_8khz_and_16khz_twins_both_transcribe(clips, twilio_media, make_recording, stored):
    twin8 = make_recording(twilio_media.recording("ko8", clips.bytes("ko8")))
    twin16 = make_recording(twilio_media.recording("ko16", clips.bytes("ko16")))
    for rid in (twin8, twin16):
        jobs.transcribe_recording(rid)
    assert stored(twin8).status == stored(twin16).status == "transcribed"
    assert stored(twin8).text and stored(twin16).text
    # the 8 kHz one went through conversion: it holds what Vosk makes of the converted audio
    pcm, _ = audio.to_pcm16_mono(clips.bytes("ko8"), 16000)
    assert stored(twin8).text == transcribe(registry.get("ko"), pcm, 16000).text


def test_silence_is_no_speech(clips, twilio_media, make_recording, stored):
    rid = make_recording(twilio_media.recording("silence", clips.bytes("silence8")))
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert (rec.status, rec.text, rec.words, rec.confidence) == ("no_speech", "", [], None)


@pytest.mark.parametrize("clip", ["bad_empty", "bad_header_only", "bad_not_wav", "bad_8bit",
                                  "bad_rate", "bad_long", "bad_3ch"])
def test_bad_audio_is_unsupported_with_its_reason(clip, clips, twilio_media, make_recording,
                                                  stored):
    rid = make_recording(twilio_media.recording(clip, clips.bytes(clip)))
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    with pytest.raises(audio.UnsupportedAudio) as expected:
        audio.check(clips.bytes(clip))
    assert (rec.status, rec.status_reason) == ("unsupported_audio", expected.value.reason)
    assert rec.text is None


def test_language_without_a_model_is_no_model(clips, twilio_media, make_recording, stored):
    rid = make_recording(twilio_media.recording("x", clips.bytes("ko8")), language="xx")
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert rec.status == "no_model" and "'xx'" in rec.status_reason
    assert rec.audio_path  # the adviser can still listen to it


def test_id_number_uses_the_digit_grammar(clips, twilio_media, make_recording, stored):
    rid = make_recording(twilio_media.recording("d", clips.bytes("digits8")), kind="id_number")
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert rec.status == "transcribed"
    assert {w["word"] for w in rec.words} <= set(digit_grammar("ko"))
    pcm, _ = audio.to_pcm16_mono(clips.bytes("digits8"), 16000)
    assert rec.text == transcribe(registry.get("ko"), pcm, 16000, digit_grammar("ko")).text
    assert rec.numbers == spoken_digits(rec.text, "ko") and rec.numbers.isdigit()


def test_reason_gets_an_intent_from_the_configured_table(clips, twilio_media, make_recording,
                                                         stored):
    rid = make_recording(twilio_media.recording("r", clips.bytes("ko16")), kind="reason")
    jobs.transcribe_recording(rid)  # no table configured yet: transcript only
    assert stored(rid).intent is None and stored(rid).intent_score is None
    rec_text = stored(rid).text
    # a table built from the words the model heard, so the match is known
    table = {"benefits": {"ko": [rec_text.split()[0]]}, "employer": {"ko": ["고용주"]}}
    jobs.set_intent_table(table, 0.8)
    try:
        rid2 = make_recording(twilio_media.recording("r2", clips.bytes("ko16")), kind="reason")
        jobs.transcribe_recording(rid2)
    finally:
        jobs.set_intent_table(None)
    rec = stored(rid2)
    assert (rec.intent, rec.intent_score) == match_intent(rec.text, table, "ko", 0.8)
    assert rec.intent == "benefits"


def test_running_a_finished_job_again_changes_nothing(clips, twilio_media, make_recording,
                                                      stored):
    rid = make_recording(twilio_media.recording("a", clips.bytes("silence8")))
    jobs.transcribe_recording(rid)
    first = stored(rid)
    assert first.status == "no_speech"
    assert jobs.transcribe_recording(rid) == {"status": "skipped"}
    again = stored(rid)
    assert (again.finished_at, again.attempts, again.text) == (first.finished_at, 1, first.text)
    assert [m for m, _, _ in twilio_media.requests] == ["GET", "DELETE"]  # the first run's only


def test_server_errors_are_retried(clips, twilio_media, make_recording, stored, monkeypatch):
    monkeypatch.setattr(download, "BACKOFF_S", (0.05, 0.05, 0.05))
    url = twilio_media.recording("flaky", clips.bytes("silence8"))
    twilio_media.failures[url[len(twilio_media.base):] + ".wav"] = 2
    rid = make_recording(url)
    jobs.transcribe_recording(rid)
    assert stored(rid).status == "no_speech"  # fetched and decoded: silence, as sent
    assert [m for m, _, _ in twilio_media.requests].count("GET") == 3


def test_persistent_server_errors_end_as_download_failed(clips, twilio_media, make_recording,
                                                         stored, monkeypatch):
    monkeypatch.setattr(download, "BACKOFF_S", (0.05, 0.05))
    url = twilio_media.recording("down", clips.bytes("ko8"))
    twilio_media.failures[url[len(twilio_media.base):] + ".wav"] = 99
    rid = make_recording(url)
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert rec.status == "download_failed"
    assert rec.status_reason == "The server answered HTTP 503. Gave up after 3 attempts."
    assert settings.account_sid() not in rec.status_reason  # the URL names the account: never in the reason


def test_missing_recording_and_wrong_credentials_fail_at_once(clips, twilio_media,
                                                              make_recording, stored,
                                                              monkeypatch):
    missing = make_recording(twilio_media.base + "/private/Accounts/x/Recordings/REnone")
    jobs.transcribe_recording(missing)
    assert stored(missing).status_reason == "The server answered HTTP 404."
    monkeypatch.setattr(settings, "TWILIO_AUTH_TOKEN", "wrong")
    rid = make_recording(twilio_media.recording("ok", clips.bytes("ko8")))
    jobs.transcribe_recording(rid)
    assert stored(rid).status_reason == "The server answered HTTP 401."
    assert len(twilio_media.requests) == 2  # client errors are not retried


def test_credentials_do_not_follow_a_redirect(clips, twilio_media, make_recording, stored,
                                              monkeypatch):
    # Twilio redirects to its media storage; loopback plays the storage here, so this test
    # alone lets loopback through the public-address guard (test_a_redirect_to_loopback...).
    monkeypatch.setattr(download, "is_public_host", lambda host: True)
    twilio_media.auth = None  # the storage host takes no auth
    twilio_media.files["/storage/blob.wav"] = clips.bytes("silence8")
    path = f"/2010-04-01/Accounts/{settings.account_sid()}/Recordings/{twilio_media.sid('redirect')}"
    twilio_media.redirects[path + ".wav"] = twilio_media.base + "/storage/blob.wav"
    rid = make_recording(twilio_media.base + path)
    jobs.transcribe_recording(rid)
    assert stored(rid).status == "no_speech"
    (_, _, first_auth), (_, _, second_auth) = twilio_media.requests[:2]
    assert first_auth is not None and second_auth is None


def test_oversized_download_is_refused(clips, twilio_media, make_recording, stored,
                                       monkeypatch):
    monkeypatch.setattr(download, "MAX_BYTES", 1000)
    rid = make_recording(twilio_media.recording("big", clips.bytes("ko8")))
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert rec.status == "unsupported_audio" and "limit is 1000" in rec.status_reason


def test_unexpected_error_marks_failed_and_raises(clips, twilio_media, make_recording, stored,
                                                  monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the recordings folder should be")
    monkeypatch.setattr(settings, "RECORDINGS_DIR", blocker)
    rid = make_recording(twilio_media.recording("x", clips.bytes("ko8")))
    with pytest.raises(OSError):
        jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert rec.status == "failed" and rec.status_reason.endswith("during transcription")


def test_duplicate_enqueue_is_one_job(redis_conn, make_recording, stored):
    rid = make_recording("https://api.twilio.com/x", duration_s=30)
    first = jobs.enqueue_transcription(redis_conn, rid)
    second = jobs.enqueue_transcription(redis_conn, rid)
    queue = Queue(jobs.QUEUE, connection=redis_conn)
    assert first == second == jobs.job_id_for(rid)
    assert queue.job_ids == [first]
    job = queue.fetch_job(first)
    assert job.args == (rid,) and job.kwargs == {}  # an id only, no personal data
    assert job.description == f"transcribe recording {rid}"
    assert job.timeout == jobs.job_timeout_for(30)
    assert (job.retries_left, job.retry_intervals) == (3, [10, 30, 60])
    assert (job.result_ttl, job.failure_ttl) == (jobs.RESULT_TTL_S, jobs.FAILURE_TTL_S)
    rec = stored(rid)
    assert rec.status == "queued" and rec.queued_at is not None


def test_enqueue_of_a_finished_recording_does_nothing(redis_conn, make_recording):
    rid = make_recording("https://api.twilio.com/x", status="transcribed")
    assert jobs.enqueue_transcription(redis_conn, rid) == jobs.job_id_for(rid)
    assert Queue(jobs.QUEUE, connection=redis_conn).count == 0
    with pytest.raises(LookupError):
        jobs.enqueue_transcription(redis_conn, 999_999)


def test_redis_down_leaves_the_recording_pending_for_the_sweeper(make_recording, stored,
                                                                  redis_conn):
    rid = make_recording("https://api.twilio.com/x")
    dead = Redis(host="127.0.0.1", port=9, socket_connect_timeout=1)
    with pytest.raises(RedisError):
        jobs.enqueue_transcription(dead, rid)
    assert stored(rid).status == "pending"
    from speech.housekeeping import sweep_stuck_recordings

    later = datetime.now(UTC) + timedelta(minutes=2)
    assert sweep_stuck_recordings(redis_conn, now=later) == {"requeued": 1, "failed": 0}
    assert stored(rid).status == "queued"
    assert Queue(jobs.QUEUE, connection=redis_conn).job_ids == [jobs.job_id_for(rid)]


def test_job_timeout_grows_with_the_audio():
    assert jobs.job_timeout_for(10) < jobs.job_timeout_for(120)
    assert jobs.job_timeout_for(None) == jobs.job_timeout_for(audio.MAX_SECONDS)
    assert jobs.job_timeout_for(10**6) == jobs.job_timeout_for(audio.MAX_SECONDS)



# --- the trust boundary: our credentials go to Twilio's API host only -------------------------

def _basic(account: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()


def test_a_forged_recording_url_on_another_host_gets_no_request_and_the_recording_fails(
        clips, twilio_media, elsewhere, make_recording, stored):
    forged = elsewhere.recording("forged", clips.bytes("ko8"))  # a signed-looking callback's URL
    rid = make_recording(forged)
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert elsewhere.requests == []  # no request at all, so no Authorization header either
    assert twilio_media.requests == []
    assert rec.status == "download_failed"
    assert rec.status_reason == ("The callback's RecordingUrl is not on Twilio's API host "
                                 "(TWILIO_API_BASE); nothing was fetched from it.")
    assert rec.audio_path is None


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/2010-04-01/Recordings/x",
                                    "http://localhost:{port}/", "http://[::1]:{port}/"])
def test_a_recording_url_on_loopback_gets_no_connection(target, twilio_media, make_recording,
                                                        stored):
    family = socket.AF_INET6 if "[::1]" in target else socket.AF_INET
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    try:
        listener = socket.create_server((host, 0), family=family, backlog=8)
    except OSError:
        pytest.skip(f"no {host} on this machine")
    with listener:
        rid = make_recording(target.format(port=listener.getsockname()[1]))
        jobs.transcribe_recording(rid)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):  # the kernel would hold a connection made to it
            listener.accept()
    assert stored(rid).status == "download_failed"
    assert twilio_media.requests == []


@pytest.mark.parametrize("url", ["http://10.1.2.3/2010-04-01/Accounts/x/Recordings/y",
                                 "http://169.254.169.254/latest/meta-data/",
                                 "http://192.168.0.10:5432/", "https://api.twilio.com.evil.example/x"])
def test_a_recording_url_on_a_private_or_other_address_is_refused_without_fetching(
        url, twilio_media, make_recording, stored):
    rid = make_recording(url)
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert rec.status == "download_failed" and "not on Twilio's API host" in rec.status_reason
    assert twilio_media.requests == []


def test_the_download_is_built_from_the_sid_on_the_api_host_with_basic_auth(
        clips, twilio_media, make_recording, stored):
    sid = twilio_media.sid("canonical")
    canonical = f"/2010-04-01/Accounts/{settings.account_sid()}/Recordings/{sid}.wav"
    twilio_media.files[canonical] = clips.bytes("silence8")
    twilio_media.files[f"/other/{sid}.wav"] = clips.bytes("ko8")
    rid = make_recording(f"{twilio_media.base}/other/{sid}")  # on the API host, another path
    jobs.transcribe_recording(rid)
    assert stored(rid).status == "no_speech"  # the silence at Twilio's path, not the other file
    gets = [(p, auth) for m, p, auth in twilio_media.requests if m == "GET"]
    assert gets == [(canonical, _basic(settings.account_sid(), settings.auth_token()))]


def test_a_redirect_to_loopback_is_not_followed(clips, twilio_media, elsewhere, make_recording,
                                                stored):
    elsewhere.files["/blob.wav"] = clips.bytes("silence8")
    url = twilio_media.recording("redirected", b"")
    twilio_media.redirects[url[len(twilio_media.base):] + ".wav"] = elsewhere.base + "/blob.wav"
    rid = make_recording(url)
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert elsewhere.requests == []
    assert rec.status == "download_failed"
    assert rec.status_reason == ("Twilio's answer redirected to a local or private address; "
                                 "it was not followed.")


def test_twilios_copy_is_deleted_after_a_download_by_default(clips, twilio_media, make_recording,
                                                             stored):
    url = twilio_media.recording("kept-here", clips.bytes("silence8"))
    rid = make_recording(url)
    jobs.transcribe_recording(rid)
    rec = stored(rid)
    assert rec.status == "no_speech" and Path(rec.audio_path).read_bytes() == clips.bytes("silence8")
    path = url[len(twilio_media.base):]
    assert [(m, p) for m, p, _ in twilio_media.requests] == [("GET", path + ".wav"),
                                                             ("DELETE", path + ".json")]
    assert twilio_media.requests[1][2] == _basic(settings.account_sid(), settings.auth_token())
    assert rec.url is None  # nothing left at Twilio for the retention purge to delete


def test_the_setting_keeps_twilios_copy(clips, twilio_media, make_recording, stored, monkeypatch):
    monkeypatch.setattr(settings, "DELETE_RECORDINGS_AT_TWILIO", False)
    url = twilio_media.recording("kept-there", clips.bytes("silence8"))
    rid = make_recording(url)
    jobs.transcribe_recording(rid)
    assert [m for m, _, _ in twilio_media.requests] == ["GET"]
    assert stored(rid).url == url


def test_a_failed_download_deletes_nothing_at_twilio(twilio_media, make_recording, stored):
    rid = make_recording(twilio_media.base + f"/2010-04-01/Accounts/x/Recordings/{'RE' + 'f' * 32}")
    jobs.transcribe_recording(rid)
    assert stored(rid).status_reason == "The server answered HTTP 404."
    assert [m for m, _, _ in twilio_media.requests] == ["GET"]
