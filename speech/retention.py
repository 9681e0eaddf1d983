"""Retention of personal data other than audio: the worker clears each kind once it is old.

`purge_personal_data` runs every six hours on the worker (registered beside the audio purge in
speech/worker.py) and is a plain function tests call with a `now`. Each kind has its own
setting (config/settings.py; README, "Retention, erasure and audit"):

- callers' numbers (Caller.phone) once their last call is older than CALLER_NUMBER_RETENTION_DAYS,
  and the number an outbound call dialled (Call.to_number of a callback call);
- ID numbers keyed in or spoken (Capture.value) after ID_NUMBER_RETENTION_DAYS;
- transcripts, words and digits heard (Recording.text/words/numbers) after
  TRANSCRIPT_RETENTION_DAYS (audio keeps RECORDING_RETENTION_DAYS, speech/housekeeping.py);
- advisers' notes on queue calls and callbacks after NOTES_RETENTION_DAYS;
- the number of a closed callback (completed or failed) after CALLBACK_NUMBER_RETENTION_DAYS;
- WAV files uploaded to the web phone after WEBPHONE_UPLOAD_RETENTION_DAYS;
- audit log entries after AUDIT_RETENTION_DAYS (the one delete of that table).

Only personal fields are cleared: call rows keep status, times, durations, queue, intent and
outcome, so reports (and the rollups built from them) keep their totals. Running it twice is
harmless: a cleared field is not picked again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, exists, null, or_, update

from config import settings
from db.models import AuditEntry, Call, Callback, Caller, Capture, QueueEntry, Recording
from db.session import SessionLocal
from db.states import CALLBACK_FINISHED

log = logging.getLogger(__name__)
CLOSED_CALLBACKS = CALLBACK_FINISHED


def _cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _purge_uploads(folder: Path, cutoff: datetime) -> int:
    """Delete web-phone WAVs last written before `cutoff`."""
    if not folder.is_dir():
        return 0
    gone = 0
    for path in folder.glob("*.wav"):
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def purge_personal_data(*, now: datetime | None = None, uploads_dir: Path | None = None) -> dict[str, int]:
    """Clear every kind of personal data past its retention; returns the rows (files) cleared per kind."""
    now = now or datetime.now(UTC)
    numbers = _cutoff(now, settings.CALLER_NUMBER_RETENTION_DAYS)
    counts: dict[str, int] = {}
    with SessionLocal.begin() as s:
        recent_call = exists().where(Call.caller_id == Caller.id, Call.started_at >= numbers)
        open_callback = exists().where(Callback.call_id == Call.id, Call.caller_id == Caller.id,
                                       Callback.status.not_in(CLOSED_CALLBACKS))
        counts["caller_numbers"] = s.execute(
            update(Caller).where(Caller.phone.is_not(None), Caller.created_at < numbers,
                                 ~recent_call, ~open_callback).values(phone=None)
            .execution_options(synchronize_session=False)).rowcount
        counts["called_numbers"] = s.execute(
            update(Call).where(Call.to_number.is_not(None), Call.direction != "inbound",
                               Call.started_at < numbers).values(to_number=None)).rowcount
        counts["id_numbers"] = s.execute(
            update(Capture).where(Capture.value.is_not(None),
                                  Capture.created_at < _cutoff(now, settings.ID_NUMBER_RETENTION_DAYS))
            .values(value=None)).rowcount
        counts["transcripts"] = s.execute(
            update(Recording).where(
                Recording.created_at < _cutoff(now, settings.TRANSCRIPT_RETENTION_DAYS),
                or_(Recording.text.is_not(None), Recording.words.is_not(None),
                    Recording.numbers.is_not(None)))
            # SQL NULL for words (not JSON null), so the row is not picked again
            .values(text=None, numbers=None, words=null())).rowcount
        notes = _cutoff(now, settings.NOTES_RETENTION_DAYS)
        counts["notes"] = s.execute(
            update(QueueEntry).where(QueueEntry.notes.is_not(None), QueueEntry.enqueued_at < notes)
            .values(notes=None)).rowcount
        counts["notes"] += s.execute(  # a transfer's note for the next adviser is notes too
            update(QueueEntry).where(QueueEntry.transfer_note.is_not(None), QueueEntry.enqueued_at < notes)
            .values(transfer_note=None)).rowcount
        counts["notes"] += s.execute(
            update(Callback).where(Callback.notes.is_not(None), Callback.requested_at < notes)
            .values(notes=None)).rowcount
        counts["callback_numbers"] = s.execute(
            update(Callback).where(
                Callback.phone.is_not(None), Callback.status.in_(CLOSED_CALLBACKS),
                Callback.requested_at < _cutoff(now, settings.CALLBACK_NUMBER_RETENTION_DAYS))
            .values(phone=None)).rowcount
        counts["audit_entries"] = s.execute(
            delete(AuditEntry).where(AuditEntry.at < _cutoff(now, settings.AUDIT_RETENTION_DAYS))).rowcount
    folder = uploads_dir or settings.INSTANCE_DIR / "webphone"
    counts["webphone_uploads"] = _purge_uploads(folder, _cutoff(now, settings.WEBPHONE_UPLOAD_RETENTION_DAYS))
    if any(counts.values()):
        log.info("retention: cleared %s", ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return counts

