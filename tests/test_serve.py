"""`make run` on a fresh machine: one command starts web, worker and an embedded Redis, prints
where to point a browser and Twilio, answers a call, and Ctrl-C stops everything it started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from config.settings import DEV_AUTH_TOKEN, ROOT
from ivr.simulator import HttpTransport, Phone


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                child = int(status.parent.name)
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_starts_everything_answers_a_call_and_stops_on_ctrl_c(tmp_path, stop):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CI"}}
    env.update(JOBLINE_ENV="development", JOBLINE_INSTANCE=str(tmp_path), WEB_WORKERS="2")
    proc = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health, last_error = None, None
        deadline = time.monotonic() + 180  # a loaded 2-core machine can take a while to boot
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = json.load(urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5))
            except HTTPError as e:  # 503 while a part is still starting: its body says which
                health = json.load(e)
            except OSError as e:
                last_error = e
            if health and health["ok"] and health["workers"]["count"] >= 1:
                break
            time.sleep(0.5)
        assert health is not None, f"the web server never answered /healthz ({last_error})"
        assert health["database"] == {"ok": True} and health["redis"]["ok"]  # no details to anonymous
        assert health["workers"]["count"] >= 1
        assert (tmp_path / "jobline.db").exists()

        p = Phone(HttpTransport(f"http://127.0.0.1:{port}"), DEV_AUTH_TOKEN, caller="+447700900321")
        p.dial().press("1").press("5")
        assert "Our employment offices are open" in p.heard_since(0)
        started = children_of(proc.pid)
        assert len(started) >= 4  # gunicorn master + 2 workers, an RQ worker, redis-server
        # The test call the banner suggests, from another shell (so no instance folder of its own).
        simulated = subprocess.run(
            [sys.executable, "run.py", "simulate", "--url", f"http://127.0.0.1:{port}", "--keys", "1,5"],
            cwd=ROOT, env={k: v for k, v in env.items() if k != "JOBLINE_INSTANCE"}, capture_output=True,
            text=True, timeout=60)
        assert simulated.returncode == 0, simulated.stderr
        assert "Our employment offices are open" in simulated.stdout
    finally:
        proc.send_signal(stop)
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, output
    assert f"http://localhost:{port}/" in output and "/ivr/voice" in output and "/ivr/status" in output
    simulate = next(line.strip() for line in output.splitlines() if "run.py simulate" in line)
    assert simulate == f"JOBLINE_ENV=development .venv/bin/python run.py simulate --url http://127.0.0.1:{port}"
    time.sleep(0.5)
    assert [pid for pid in started if alive(pid)] == []


def test_a_broken_setting_stops_the_command_line_with_its_sentence(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"TWILIO_AUTH_TOKEN", "CI"}}
    env.update(JOBLINE_ENV="production", JOBLINE_INSTANCE=str(tmp_path))
    done = subprocess.run([sys.executable, "run.py", "init-db"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "Error: Jobline cannot start: TWILIO_AUTH_TOKEN is not set." in done.stderr
    assert "Traceback" not in done.stderr
    helped = subprocess.run([sys.executable, "run.py", "--help"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert "Jobline cannot start" in helped.stderr and "Traceback" not in helped.stderr
    assert "serve" in helped.stdout  # the commands are still listed


def test_demo_traffic_then_a_rollup_by_hand_from_the_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CI"}}
    env.update(JOBLINE_ENV="development", JOBLINE_INSTANCE=str(tmp_path))

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    assert "calls" in run("seed-demo", "--days", "3", "--calls", "300")
    assert run("rollups", "--rebuild").startswith("rolled up ")
    assert run("rollups").startswith("rolled up ")  # the ten-minute job: the last 48 h again
