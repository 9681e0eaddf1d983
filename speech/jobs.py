"""The RQ job that turns a stored recording into a transcript, and the one place it is enqueued.

`transcribe_recording(recording_id)` takes an id only and is safe to run twice: it claims the
row (pending/queued -> transcribing, attempts + 1) in a short transaction, works outside any
transaction (download, check, convert, decode) so the database is never locked during a decode,
then stores the result only if its attempt still owns the row. A finished recording is a no-op.

The audio is fetched from Twilio's API host only (speech/download.py): a recording whose
callback named another host ends as download_failed without any request. Once the outcome is
stored, Twilio's copy is deleted (DELETE_RECORDINGS_AT_TWILIO, on by default): Jobline's copy is
the one kept, under RECORDINGS_DIR, for RECORDING_RETENTION_DAYS.

Errors we expect end as a status with a reason (no_model, no_speech, unsupported_audio,
download_failed); anything else raises so RQ records it and retries (Retry(max=3)). Personal
data (transcripts, digits, the recording URL) is never logged, put in job arguments,
descriptions or results: logs name the recording id only.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import DuplicateJobError
from sqlalchemy import update

from config import settings
from db.logs import about_call
from db.models import Recording
from db.session import SessionLocal
from db.states import RECORDING_CLAIMABLE, RECORDING_FINISHED, RecordingStatus

from . import audio, download, intents, numbers, registry
from .transcribe import transcribe

log = logging.getLogger(__name__)

QUEUE = "speech"  # transcriptions: a caller may be waiting for one (the read-back)
# Rollups, purges and sweeps no caller waits for have their own queue, which workers serve after
# the speech queue (RQ takes a worker's queues in order): they never delay a transcript.
HOUSEKEEPING_QUEUE = "housekeeping"
CLAIMABLE = RECORDING_CLAIMABLE
FINISHED = RECORDING_FINISHED
RESULT_TTL_S = 3600  # results carry only a status and timings; an hour is enough to inspect
FAILURE_TTL_S = 7 * 24 * 3600  # keep failures a week for the on-call person
RETRY = Retry(max=3, interval=[10, 30, 60])

_intent_table: intents.IntentTable | None = None
_intent_threshold = 0.8


def set_intent_table(table: intents.IntentTable | None, threshold: float = 0.8) -> None:
    """Give jobs the intent table (from config/ivr.yaml) and the score a match needs.

    Call it in the worker parent before work starts; forked horses inherit it. Without a table,
    'reason' recordings are transcribed but get no intent.
    """
    global _intent_table, _intent_threshold
    _intent_table = intents.check_table(table) if table is not None else None
    _intent_threshold = threshold


def job_id_for(recording_id: int) -> str:
    return f"transcribe-recording-{recording_id}"


def job_timeout_for(duration_s: int | None) -> int:
    """Seconds a job may run: the download with its retries (at most ~75 s) plus three times the audio length
    (decoding runs well under real time; the margin covers a loaded machine)."""
    seconds = duration_s if duration_s and duration_s > 0 else audio.MAX_SECONDS
    return 120 + 3 * min(seconds, audio.MAX_SECONDS)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Claim:
    recording_id: int
    attempt: int
    sid: str
    url: str | None
    language: str | None
    kind: str
    call_sid: str | None = None


def _claimable(recording_id: int) -> tuple[str, ...]:
    """The statuses this run may take the row from. RQ runs one execution of a job id at a
    time, so this recording's own job finding its row 'transcribing' is a retry after the
    previous execution died (its work horse killed or lost): it takes the row over at once
    instead of leaving it to the sweep, which waits out the job timeout."""
    job = get_current_job()
    if job is not None and job.id == job_id_for(recording_id):
        return (*CLAIMABLE, RecordingStatus.TRANSCRIBING)
    return CLAIMABLE


def _claim(recording_id: int) -> _Claim | None:
    with SessionLocal.begin() as s:
        claimed = s.execute(
            update(Recording)
            .where(Recording.id == recording_id, Recording.status.in_(_claimable(recording_id)))
            .values(status=RecordingStatus.TRANSCRIBING, started_at=_now(), attempts=Recording.attempts + 1,
                    status_reason=None)
        ).rowcount
        if not claimed:
            return None
        rec = s.get_one(Recording, recording_id, populate_existing=True)
        return _Claim(recording_id, rec.attempts, rec.sid, rec.url, rec.language, rec.kind,
                      rec.call.sid if rec.call else None)


def _store(claim: _Claim, fields: dict[str, Any]) -> bool:
    """Write the outcome if this attempt still owns the row (the sweeper may have moved on)."""
    with SessionLocal.begin() as s:
        return bool(s.execute(
            update(Recording)
            .where(Recording.id == claim.recording_id, Recording.status == RecordingStatus.TRANSCRIBING,
                   Recording.attempts == claim.attempt)
            .values(finished_at=_now(), **fields)
        ).rowcount)


def _save_audio(recording_id: int, blob: bytes) -> Path:
    folder = Path(settings.RECORDINGS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{recording_id}.wav"  # the id, never a name or number, in the file name
    tmp = path.with_suffix(f".{os.getpid()}.part")
    tmp.write_bytes(blob)
    os.replace(tmp, path)
    return path


def _twilio_url(claim: _Claim, ext: str) -> str:
    """Where Twilio keeps this recording: built from its SID on TWILIO_API_BASE, never from the
    callback's RecordingUrl, which only has to be on that host (raises download.Refused)."""
    if claim.url and not download.on_api_host(claim.url, settings.TWILIO_API_BASE):
        raise download.Refused("The callback's RecordingUrl is not on Twilio's API host "
                               "(TWILIO_API_BASE); nothing was fetched from it.")
    return download.media_url(settings.TWILIO_API_BASE, settings.account_sid(), claim.sid, ext)


def _auth() -> tuple[str, str]:
    return settings.account_sid(), settings.auth_token()


def _outcome(claim: _Claim, timings: dict[str, float]) -> dict[str, Any]:
    if not claim.url:
        return {"status": RecordingStatus.DOWNLOAD_FAILED, "status_reason": "The recording has no URL."}
    started = time.perf_counter()
    try:
        blob = download.fetch(_twilio_url(claim, ".wav"), _auth())
    except download.TooLarge as exc:
        return {"status": RecordingStatus.UNSUPPORTED_AUDIO, "status_reason": exc.reason}
    except download.DownloadFailed as exc:
        return {"status": RecordingStatus.DOWNLOAD_FAILED, "status_reason": exc.reason}
    timings["download_s"] = time.perf_counter() - started
    fields: dict[str, Any] = {"audio_path": str(_save_audio(claim.recording_id, blob))}
    lang = claim.language
    model = registry.get(lang)
    if model is None:
        reason = f"No speech model is installed for language {lang!r}." if lang else \
            "The recording has no language."
        return {**fields, "status": RecordingStatus.NO_MODEL, "status_reason": reason}
    rate = registry.sample_rate(lang)
    try:
        pcm, _info = audio.to_pcm16_mono(blob, rate)
    except audio.UnsupportedAudio as exc:
        return {**fields, "status": RecordingStatus.UNSUPPORTED_AUDIO, "status_reason": exc.reason}
    grammar = None
    if claim.kind == "id_number" and lang in numbers.LANGUAGES:
        grammar = numbers.digit_grammar(lang)
    started = time.perf_counter()
    result = transcribe(model, pcm, rate, grammar)
    timings["decode_s"] = time.perf_counter() - started
    fields.update(text=result.text, confidence=result.confidence, words=result.words,
                  status=RecordingStatus.TRANSCRIBED if result.text else RecordingStatus.NO_SPEECH)
    if result.text and claim.kind == "id_number" and lang in numbers.LANGUAGES:
        fields["numbers"] = numbers.spoken_digits(result.text, lang) or None
    if result.text and claim.kind == "reason" and _intent_table is not None:
        fields["intent"], fields["intent_score"] = intents.match_intent(
            result.text, _intent_table, lang, _intent_threshold)
    return fields


def transcribe_recording(recording_id: int) -> dict[str, Any]:
    """Download, check, convert and transcribe one recording, storing the result on its row.

    Returns a summary without personal data: status, model loads during the job (0 in a worker
    that preloaded) and timings. Raises on unexpected errors so RQ retries the job.
    """
    started = time.perf_counter()
    loads_before = registry.load_count()
    claim = _claim(recording_id)
    if claim is None:
        log.info("recording %d: not claimable (finished or taken), nothing to do", recording_id)
        return {"status": "skipped"}
    with about_call(claim.call_sid):  # its log lines name the call's reference (db/logs.py)
        return _transcribe(claim, started, loads_before)


def _transcribe(claim: _Claim, started: float, loads_before: int) -> dict[str, Any]:
    recording_id = claim.recording_id
    timings: dict[str, float] = {}
    try:
        fields = _outcome(claim, timings)
    except Exception as exc:
        job = get_current_job()
        will_retry = bool(job and job.retries_left)
        with SessionLocal.begin() as s:
            s.execute(
                update(Recording)
                .where(Recording.id == recording_id, Recording.status == RecordingStatus.TRANSCRIBING,
                       Recording.attempts == claim.attempt)
                .values(status=RecordingStatus.QUEUED if will_retry else RecordingStatus.FAILED,
                        status_reason=f"{type(exc).__name__} during transcription")
            )
        raise
    stored = _store(claim, fields)
    if stored and fields.get("audio_path") and settings.DELETE_RECORDINGS_AT_TWILIO:
        _delete_at_twilio(claim)
    timings["total_s"] = time.perf_counter() - started
    log.info("recording %d: %s (attempt %d%s)", recording_id, fields["status"], claim.attempt,
             "" if stored else ", superseded")
    return {"status": fields["status"], "stored": stored,
            "model_loads": registry.load_count() - loads_before, **timings}


def _delete_at_twilio(claim: _Claim) -> None:
    """Delete Twilio's copy once ours is stored; the row forgets its URL when it is gone. When
    Twilio cannot be reached the URL stays and the retention purge tries again."""
    if download.delete_remote(_twilio_url(claim, ".json"), _auth()):
        with SessionLocal.begin() as s:
            s.execute(update(Recording).where(Recording.id == claim.recording_id).values(url=None))
    else:
        log.warning("recording %d: Twilio's copy could not be deleted; the purge will retry",
                    claim.recording_id)


def _enqueue(conn: Redis, recording_id: int, duration_s: int | None) -> None:
    Queue(QUEUE, connection=conn).enqueue_call(
        transcribe_recording,
        args=(recording_id,),
        timeout=job_timeout_for(duration_s),
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        retry=RETRY,
        description=f"transcribe recording {recording_id}",
        job_id=job_id_for(recording_id),
        unique=True,
    )


def enqueue_transcription(conn: Redis, recording_id: int) -> str:
    """Queue the transcription of a committed recording; returns the job id.

    The job id comes from the recording id, so a second call (a repeated Twilio callback) is a
    no-op, as is a call for a recording that is already past 'queued'. Raises LookupError for an
    unknown id and redis.exceptions.RedisError when Redis is down: the caller should log it and
    carry on, the row stays 'pending' and `sweep_stuck_recordings` queues it later.
    """
    with SessionLocal() as s:
        rec = s.get(Recording, recording_id)
        if rec is None:
            raise LookupError(f"recording {recording_id} does not exist")
        status, duration = rec.status, rec.duration_s
    if status in CLAIMABLE:
        try:
            _enqueue(conn, recording_id, duration)
        except DuplicateJobError:
            pass
        with SessionLocal.begin() as s:
            s.execute(update(Recording)
                      .where(Recording.id == recording_id, Recording.status == RecordingStatus.PENDING)
                      .values(status=RecordingStatus.QUEUED, queued_at=_now()))
    return job_id_for(recording_id)

