"""The trust boundary: production never builds a URL for Twilio from a request's Host header
(without PUBLIC_BASE_URL the web app and the worker refuse to start, with a sentence naming it),
and a recording callback cannot send the worker, with our credentials, to a host it names."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from config.settings import ConfigError
from tests.support.env import ACCOUNT, ROOT, TOKEN


def test_the_web_app_refuses_to_start_in_production_without_public_base_url(make_app):
    with pytest.raises(ConfigError, match=r"^PUBLIC_BASE_URL is not set\. Set it to the public https"):
        make_app(PUBLIC_BASE_URL="")


def test_development_may_go_without_it(make_app):
    assert make_app(ENV_NAME="development", PUBLIC_BASE_URL="").config["PUBLIC_BASE_URL"] == ""


def test_the_worker_refuses_to_start_in_production_without_public_base_url(tmp_path, redis_url):
    env = {k: v for k, v in os.environ.items() if k not in {"PUBLIC_BASE_URL", "CI"}}
    env.update(JOBLINE_ENV="production", JOBLINE_INSTANCE=str(tmp_path), REDIS_URL=redis_url,
               TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN, SECRET_KEY="worker-secret",
               DATABASE_URL=f"sqlite:///{tmp_path / 'jobline.db'}")
    done = subprocess.run([sys.executable, "run.py", "worker", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Jobline cannot start: PUBLIC_BASE_URL is not set." in done.stderr
    assert "Traceback" not in done.stderr


class _Listener:
    """A loopback HTTP server standing where a forged RecordingUrl points; it records any
    request it receives and the Authorization header it came with."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str | None]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                listener.received.append((self.path, self.headers.get("Authorization")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_forged_recording_callback_sends_nothing_to_the_host_it_names(make_app, monkeypatch):
    from config import settings
    from db import session as db
    from db.models import Recording
    from speech import jobs

    monkeypatch.setattr(settings, "TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setattr(settings, "TWILIO_AUTH_TOKEN", TOKEN)
    client = make_app().test_client()
    forged = _Listener()
    try:
        sid = "RE" + "ab" * 16
        form = {"AccountSid": ACCOUNT, "CallSid": "CA" + "c" * 32, "RecordingSid": sid,
                "RecordingUrl": f"{forged.base}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}",
                "RecordingStatus": "completed", "RecordingDuration": "4"}
        signature = RequestValidator(TOKEN).compute_signature("http://localhost/ivr/recording", form)
        answered = client.post("/ivr/recording", data=form, headers={"X-Twilio-Signature": signature})
        assert answered.status_code < 300
        with db.SessionLocal() as s:
            rec_id = s.scalar(select(Recording.id).where(Recording.sid == sid))
        jobs.transcribe_recording(rec_id)
        with db.SessionLocal() as s:
            rec = s.get(Recording, rec_id)
            assert rec.status == "download_failed"
            assert "not on Twilio's API host" in rec.status_reason
        assert forged.received == []  # not a request, so not our account's credentials either
    finally:
        forged.close()
