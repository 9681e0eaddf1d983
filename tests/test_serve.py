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
from ivr.telephony.simulator import HttpTransport, Phone
from tests.support.processes import alive, children_of, eldest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CI"}}
    env.update(JOBLINE_ENV="development", JOBLINE_INSTANCE=str(tmp_path), WEB_WORKERS="2", **(extra or {}))
    return env


def start_serve(tmp_path: Path, port: int, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port)], cwd=ROOT,
                            env=serve_env(tmp_path, extra), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_healthy(proc: subprocess.Popen[str], port: int, seconds: float = 180) -> dict:
    """/healthz once database, Redis and a worker are all up (a loaded machine boots slowly)."""
    health, last_error = None, None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            health = json.load(urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5))
        except HTTPError as e:  # 503 while a part is still starting: its body says which
            health = json.load(e)
        except OSError as e:
            last_error = e
        if health and health["ok"] and health["workers"]["count"] >= 1:
            return health
        time.sleep(0.5)
    raise AssertionError(f"Jobline never became healthy: {health or last_error}")


def process_named(pids: set[int], word: str) -> int:
    found = [pid for pid in pids if alive(pid) and word in Path(f"/proc/{pid}/cmdline").read_bytes().decode(
        errors="replace").replace("\0", " ")]
    assert found, f"no process running {word!r}"
    return eldest(set(found))  # a parent, not the children it forked


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_starts_everything_answers_a_call_and_stops_on_ctrl_c(tmp_path, stop):
    port = free_port()
    proc = start_serve(tmp_path, port)
    try:
        health = wait_healthy(proc, port)
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
            cwd=ROOT, env={k: v for k, v in serve_env(tmp_path).items() if k != "JOBLINE_INSTANCE"},
            capture_output=True, text=True, timeout=60)
        assert simulated.returncode == 0, simulated.stderr
        assert "Our employment offices are open" in simulated.stdout
    finally:
        proc.send_signal(stop)
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, output
    assert f"http://localhost:{port}/" in output and "/ivr/voice" in output and "/ivr/status" in output
    for page in ("desk", "phone", "wallboard", "reports", "flow"):  # where a newcomer goes next
        assert f"http://localhost:{port}/{page}\n" in output
    simulate = next(line.strip() for line in output.splitlines() if "run.py simulate" in line)
    assert simulate == f"JOBLINE_ENV=development .venv/bin/python run.py simulate --url http://127.0.0.1:{port}"
    time.sleep(0.5)
    assert [pid for pid in started if alive(pid)] == []


def test_a_killed_worker_or_redis_is_started_again_and_the_menus_never_stop(tmp_path):
    port = free_port()
    proc = start_serve(tmp_path, port)
    try:
        wait_healthy(proc, port)
        menus = Phone(HttpTransport(f"http://127.0.0.1:{port}"), DEV_AUTH_TOKEN, caller="+447700900321")
        worker = process_named(children_of(proc.pid), "run.py worker")
        os.kill(worker, signal.SIGKILL)
        menus.dial().press("1")  # the menus answer while the worker is down
        redis = process_named(children_of(proc.pid), "redis-server")
        os.kill(redis, signal.SIGKILL)
        menus.press("5")  # ... and while Redis is down
        assert "Our employment offices are open" in menus.heard_since(0)
        health = wait_healthy(proc, port)  # both back, by themselves
        assert health["redis"]["ok"] and health["workers"]["count"] >= 1
        running = children_of(proc.pid)
        assert worker not in running and redis not in running
        assert process_named(running, "run.py worker") and process_named(running, "redis-server")
        assert proc.poll() is None  # serve itself never stopped
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    assert "worker 1 stopped (exit code -9)" in output and "embedded Redis stopped (exit code -9)" in output
    assert "started again" in output


def test_slow_clients_trickling_bytes_cannot_starve_twilios_requests(tmp_path):
    port = free_port()
    proc = start_serve(tmp_path, port)
    slow: list[socket.socket] = []
    try:
        wait_healthy(proc, port)
        for _ in range(12):  # more than the sync workers' slots (2) many times over
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"POST /ivr/voice HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never finish
            slow.append(sock)
        p = Phone(HttpTransport(f"http://127.0.0.1:{port}", timeout=10), DEV_AUTH_TOKEN,
                  caller="+447700900321")
        p.dial().press("1").press("5")  # Twilio waits 15 s in all for an answer
        assert "Our employment offices are open" in p.heard_since(0)
    finally:
        for sock in slow:
            sock.close()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def test_serve_listens_on_loopback_only_by_default(tmp_path):
    port = free_port()
    proc = start_serve(tmp_path, port)
    try:
        wait_healthy(proc, port)
        listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
        ours = [line.split()[1] for line in listening if line.split()[1].endswith(f":{port:04X}")
                and line.split()[3] == "0A"]  # state LISTEN
        assert ours == [f"0100007F:{port:04X}"]  # 127.0.0.1, not 0.0.0.0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


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


def test_create_user_refuses_a_phone_jobline_would_not_ring_with_what_to_fix(tmp_path):
    env = serve_env(tmp_path)
    subprocess.run([sys.executable, "run.py", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    refused = subprocess.run([sys.executable, "run.py", "create-user", "ana", "--name", "Ana",
                              "--phone", "+44 909 879 0000"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "That is a premium-rate or special number" in refused.stderr
    created = subprocess.run([sys.executable, "run.py", "create-user", "ana", "--name", "Ana",
                              "--phone", "+44 7700 900123"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert created.returncode == 0, created.stderr
