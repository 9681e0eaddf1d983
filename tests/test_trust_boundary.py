"""Production never builds a URL for Twilio from a request's Host header: without
PUBLIC_BASE_URL the web app and the worker refuse to start, with a sentence naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import ConfigError
from tests.conftest import ACCOUNT, TOKEN

ROOT = Path(__file__).resolve().parents[1]


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
