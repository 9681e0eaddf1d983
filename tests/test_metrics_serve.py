"""/metrics under `run.py serve`: several gunicorn processes answer webhooks and scrapes, and
every scrape, whichever process answers it, counts every webhook (prometheus_client's
multiprocess mode, in a folder serve empties at each start); with LOG_FORMAT=json gunicorn's
lines are JSON too."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from urllib.request import urlopen

from prometheus_client.parser import text_string_to_metric_families

from config.settings import DEV_AUTH_TOKEN, ROOT
from ivr.telephony.simulator import HttpTransport, Phone
from tests.test_serve import free_port, serve_env, wait_healthy

CALLS = 6


def voice_count(port: int) -> float:
    text = urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    counts = {s.labels.get("route"): s.value for family in text_string_to_metric_families(text)
              for s in family.samples if s.name == "jobline_webhook_duration_seconds_count"}
    return counts.get("/ivr/voice", 0.0)


def test_every_scrape_counts_the_webhooks_of_every_web_process(tmp_path):
    stale = tmp_path / "prometheus" / "from-an-earlier-run"
    stale.parent.mkdir()
    stale.write_text("")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port)], cwd=ROOT,
                            env={**serve_env(tmp_path), "LOG_FORMAT": "json"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(proc, port)
        assert not stale.exists()
        for n in range(CALLS):  # the two web processes share them between them
            caller = Phone(HttpTransport(f"http://127.0.0.1:{port}"), DEV_AUTH_TOKEN,
                           caller=f"+4477009004{n:02d}")
            caller.dial()
        assert [voice_count(port) for _ in range(8)] == [CALLS] * 8
        assert len(list((tmp_path / "prometheus").glob("histogram_*.db"))) >= 1
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0]
    # LOG_FORMAT=json: gunicorn's own lines (its log and the access log) are JSON lines too
    loggers = {json.loads(line)["logger"] for line in output.splitlines() if line.startswith("{")}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers
    assert "[INFO]" not in output  # gunicorn's plain format
