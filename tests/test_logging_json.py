"""LOG_FORMAT=json: a log shipper gets one JSON object per line, with the call's reference and the
route, and numbers masked as in plain lines. Run in a fresh Python, as `run.py` or gunicorn
would start Jobline, so the app's own logging setup is what writes the lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from db.logs import call_ref
from db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
SID = "CA" + "5" * 32
NUMBER = "+447700900123"

# A fallback webhook (Twilio signs it; the view logs its error code) and a line naming a number.
SCRIPT = textwrap.dedent(f"""
    import logging
    from twilio.request_validator import RequestValidator
    from config import settings
    from run import create_app

    app = create_app()
    url = "http://localhost/ivr/fallback"
    form = {{"CallSid": "{SID}", "From": "{NUMBER}", "ErrorCode": "11200",
            "AccountSid": settings.DEV_ACCOUNT_SID}}
    signature = RequestValidator(settings.DEV_AUTH_TOKEN).compute_signature(url, form)
    reply = app.test_client().post(url, data=form, headers={{"X-Twilio-Signature": signature}})
    assert reply.status_code == 200, reply.status_code
    logging.getLogger("jobline.callbacks").warning("calling back {NUMBER} failed")
""")


def run_jobline(tmp_path: Path, log_format: str) -> list[str]:
    db = f"sqlite:///{tmp_path / 'jobline.db'}"
    upgrade(db)
    env = dict(os.environ, LOG_FORMAT=log_format, JOBLINE_ENV="development", JOBLINE_INSTANCE=str(tmp_path),
               PUBLIC_BASE_URL="http://localhost", DATABASE_URL=db)
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def json_lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return run_jobline(tmp_path_factory.mktemp("json"), "json")


def test_json_lines_carry_the_call_reference_and_route(json_lines):
    lines = [json.loads(line) for line in json_lines]  # every line is JSON
    fallback = next(entry for entry in lines if "fallback URL" in entry["message"])
    assert fallback["level"] == "ERROR" and fallback["logger"] == "ivr.views.webhooks"
    assert fallback["message"] == "Twilio used the fallback URL (error 11200)"
    assert fallback["call"] == call_ref(SID) and len(fallback["call"]) == 12
    assert fallback["route"] == "/ivr/fallback"
    assert fallback["time"].endswith("+00:00")


def test_json_lines_mask_numbers_and_never_hold_the_call_sid(json_lines):
    lines = json_lines
    text = "\n".join(lines)
    assert NUMBER not in text and SID not in text
    callback = next(json.loads(line) for line in lines if "calling back" in line)
    assert callback["message"] == "calling back +44•••••••123 failed"
    assert "call" not in callback and "route" not in callback  # about no call, outside a request


def test_plain_lines_stay_the_default(tmp_path):
    lines = run_jobline(tmp_path, "")
    fallback = next(line for line in lines if "fallback URL" in line)
    assert fallback.endswith("ERROR ivr.views.webhooks: Twilio used the fallback URL (error 11200)")
    assert not fallback.startswith("{")
    assert NUMBER not in "\n".join(lines)
