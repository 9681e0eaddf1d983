"""Recordings that fell through the cracks, and recordings past their retention.

`sweep_stuck_recordings` catches what RQ alone cannot: a recording left 'pending' because Redis
was down when the call ended, 'queued' while its job vanished (Redis restarted without
persistence), or 'transcribing' after its worker was killed (kill -9, OOM, machine lost). It
re-queues them, or marks them 'failed' once they have had `max_attempts` tries. Each re-queue
first claims the row with a conditional update, so several workers sweeping at once re-queue
a recording once.

`purge_expired_recordings` enforces RECORDING_RETENTION_DAYS: it deletes the audio file and
clears the transcript, words and digits (the status, intent and timings stay for reports).

Both are RQ jobs the worker schedules (see speech/worker.py), the sweep on the speech queue
(it rescues transcripts), the purge on the housekeeping queue; and plain functions tests call.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from rq import Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import false, null, or_, select, update

from config import settings
from db.models import Recording
from db.session import SessionLocal
from db.states import RECORDING_CLAIMABLE, RecordingStatus

from . import download
from .jobs import _enqueue, job_id_for, job_timeout_for

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)  # an enqueue or a claim in flight is not stuck
MAX_ATTEMPTS = 5  # 1 run + 3 RQ retries + 1 more after a lost worker
_ALIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED,
          JobStatus.CREATED, JobStatus.READY_TO_ENQUEUE, JobStatus.RATE_LIMITED}


def _job_status(conn: Redis, recording_id: int) -> JobStatus | None:
    try:
        return Job.fetch(job_id_for(recording_id), connection=conn).get_status()
    except NoSuchJobError:
        return None


def _is_stuck(rec: Recording, conn: Redis, now: datetime) -> bool:
    if rec.status == RecordingStatus.PENDING:
        return rec.created_at < now - GRACE
    if rec.status == RecordingStatus.QUEUED:
        queued_at = rec.queued_at or rec.created_at
        return queued_at < now - GRACE and _job_status(conn, rec.id) not in _ALIVE
    # transcribing: its worker is gone, or past its job timeout RQ has killed it
    limit = timedelta(seconds=job_timeout_for(rec.duration_s)) + GRACE
    return rec.started_at is None or rec.started_at < now - limit or _worker_gone(conn, rec.id)


def _worker_gone(conn: Redis, recording_id: int) -> bool:
    """True when the worker running this recording's job has surely died: its registration has
    expired, or it ran on this machine and its process no longer exists (killed -9, OOM). A
    worker on another machine that is merely slow is never judged gone here."""
    try:
        job = Job.fetch(job_id_for(recording_id), connection=conn)
    except NoSuchJobError:
        return False  # no job: the 'queued'/'pending' rules and the timeout decide
    if job.get_status() != JobStatus.STARTED or not job.worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=conn)
    if worker is None:
        return True
    return worker.hostname == socket.gethostname() and not _process_exists(worker.pid)


def _process_exists(pid: int | None) -> bool:
    if not pid:
        return True  # unknown: assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stuck_recordings(
    conn: Redis | None = None, *, now: datetime | None = None, max_attempts: int = MAX_ATTEMPTS
) -> dict[str, int]:
    """Re-queue stuck recordings or fail those out of attempts; returns counts by action.

    `conn` defaults to the Redis connection of the RQ job running this; `now` lets a test look
    at the rows as they will be later.
    """
    if conn is None:
        job = get_current_job()
        if job is None:
            raise ValueError("sweep_stuck_recordings needs a Redis connection outside RQ")
        conn = job.connection
    now = now or datetime.now(UTC)
    counts = {"requeued": 0, "failed": 0}
    with SessionLocal() as s:
        candidates = s.scalars(
            select(Recording)
            .where(Recording.status.in_((*RECORDING_CLAIMABLE, RecordingStatus.TRANSCRIBING)))
        ).all()
        stuck = [(r.id, r.status, r.attempts, r.duration_s) for r in candidates
                 if _is_stuck(r, conn, now)]
    for rec_id, status, attempts, duration in stuck:
        give_up = attempts >= max_attempts
        with SessionLocal.begin() as s:
            won = s.execute(
                update(Recording)
                .where(Recording.id == rec_id, Recording.status == status,
                       Recording.attempts == attempts)
                .values(
                    status=RecordingStatus.FAILED if give_up else RecordingStatus.QUEUED,
                    status_reason=f"Transcription did not finish after {attempts} attempts."
                    if give_up else None,
                    queued_at=now if not give_up else Recording.queued_at,
                    finished_at=now if give_up else None,
                )
            ).rowcount
        if not won:
            continue  # another sweeper or the job itself moved it
        if give_up:
            counts["failed"] += 1
            log.warning("recording %d: failed after %d attempts", rec_id, attempts)
            continue
        try:
            Job.fetch(job_id_for(rec_id), connection=conn).delete()
        except NoSuchJobError:
            pass
        _enqueue(conn, rec_id, duration)
        counts["requeued"] += 1
        log.info("recording %d: was %s, queued again", rec_id, status)
    return counts


def _delete_at_twilio(sid: str, url: str, auth: tuple[str, str]) -> bool:
    """DELETE the recording on Twilio's API host (built from its SID, never its stored URL); a
    URL that was never Twilio's has nothing to delete there."""
    if not download.on_api_host(url, settings.TWILIO_API_BASE):
        return True
    try:
        target = download.media_url(settings.TWILIO_API_BASE, auth[0], sid, ".json")
    except download.Refused:
        return True  # not a Twilio recording SID: nothing of ours at Twilio
    return download.delete_remote(target, auth)


def purge_expired_recordings(
    *, now: datetime | None = None, days: int | None = None, delete_at_twilio: bool | None = None
) -> int:
    """Delete audio and clear transcripts of recordings older than the retention period.

    With DELETE_RECORDINGS_AT_TWILIO the copy at Twilio is deleted too (the transcription job
    already deleted it after download, unless Twilio could not be reached then); when Twilio
    cannot be reached the row keeps its URL and the next purge tries again. Returns the rows
    purged.
    """
    days = settings.RECORDING_RETENTION_DAYS if days is None else days
    if delete_at_twilio is None:
        delete_at_twilio = settings.DELETE_RECORDINGS_AT_TWILIO
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    auth = (settings.account_sid(), settings.auth_token())
    purged = 0
    with SessionLocal.begin() as s:
        rows = s.scalars(
            select(Recording).where(
                Recording.created_at < cutoff,
                or_(Recording.audio_path.is_not(None), Recording.text.is_not(None),
                    Recording.words.is_not(None), Recording.numbers.is_not(None),
                    Recording.url.is_not(None) if delete_at_twilio else false()),
            )
        ).all()
        for rec in rows:
            if rec.audio_path:
                Path(rec.audio_path).unlink(missing_ok=True)
            if delete_at_twilio and rec.url and _delete_at_twilio(rec.sid, rec.url, auth):
                rec.url = None
            rec.audio_path = rec.text = rec.numbers = None
            rec.words = null()  # SQL NULL, not the JSON value null, so the row is not re-picked
            purged += 1
    if purged:
        log.info("retention: purged %d recordings older than %d days", purged, days)
    return purged
