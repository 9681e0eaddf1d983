"""A transcription job's log lines name the call the recording belongs to (its reference, never
its SID), so an operator reading JSON logs finds the worker's lines beside the webhooks' lines."""

from __future__ import annotations

import io
import json
import logging

from db.logs import JsonFormatter, call_ref
from db.models import Call
from db.session import SessionLocal
from speech import jobs

SID = "CA" + "7" * 32


def test_a_job_s_lines_carry_its_call_and_only_its_own(make_recording):
    with SessionLocal.begin() as s:
        call = Call(sid=SID)
        s.add(call)
        s.flush()
        call_id = call.id
    rid = make_recording(None, call_id=call_id)  # no audio URL: it ends at once, without Vosk
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("speech.jobs")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        jobs.transcribe_recording(rid)
        logger.info("after the job")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    done = next(entry for entry in lines if entry["message"].startswith(f"recording {rid}:"))
    assert done["call"] == call_ref(SID)
    assert SID not in out.getvalue()
    assert "call" not in lines[-1]  # the next job, or none, is not given this call
