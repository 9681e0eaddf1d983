"""Issue 16, live without polling: 200 open desks pushed by Server-Sent Events against `run.py serve`.

Figures: the time from a caller joining a queue (the commit) to the event on every desk (p50,
p99, max over all desks and joins), and the CPU the server's web processes use over the same
window with 200 desks on events (each refetches /api/desk on an event, as desk.js does) against
200 desks polling /api/desk every 1.5 s (today's desk), measured in the same run as the baseline.

    .venv/bin/python bench/bench_push.py [--desks 200] [--seconds 60] [--join-every 5]

`run.py serve` as `make run` starts it (gunicorn gthread, WEB_WORKERS=2, embedded Redis, one RQ
worker) on a fresh SQLite file in a temporary folder; callers join by a commit in this process, as
the IVR's does. The desks are threads with plain sockets (stdlib only), signed in as four advisers
(50 desks each, two with every queue, one per single queue). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.accounts.users import create_user  # noqa: E402
from db import changes  # noqa: E402
from db import session as db  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import utcnow  # noqa: E402
from tests.support.desk import waiting_call  # noqa: E402

PASSWORD = "correct-horse-battery"
QUEUES = ["general", "benefits", "employers"]
ADVISERS = {"all1": QUEUES, "all2": QUEUES, "benefits1": ["benefits"], "general1": ["general"]}
POLL_S = 1.5  # desk.js's CONFIG.pollMs today
SAFETY_S = 15  # live.js fetches this often even while live


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cookies(answer: http.client.HTTPResponse, jar: dict[str, str]) -> str:
    for header in answer.msg.get_all("Set-Cookie") or []:
        name, value = header.split(";")[0].split("=", 1)
        jar[name] = value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _sign_in(port: int, username: str) -> str:
    """The cookies of a signed-in adviser's browser."""
    conn, jar = http.client.HTTPConnection("127.0.0.1", port, timeout=60), {}
    conn.request("GET", "/login")
    answer = conn.getresponse()
    html, cookie = answer.read().decode(), _cookies(answer, jar)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
    conn.request("POST", "/login", form,
                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 302, answer.status
    return _cookies(answer, jar)


def _cpu_s(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total / tick


def _web_pids(serve_pid: int) -> list[int]:
    """gunicorn's master and workers under `run.py serve` (not Redis, not the RQ worker)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()[1:]]
    master = [int(p) for p, pp, args in rows if int(pp) == serve_pid and "gunicorn" in args]
    return master + [int(p) for p, pp, _ in rows if master and int(pp) == master[0]]


@contextmanager
def serving(prefix: str, users: Callable[[Session], None]) -> Iterator[tuple[int, list[int]]]:
    """`run.py serve` as `make run` starts it, on a fresh SQLite file in a temporary folder with
    `users` created, and this process's commits announced on its embedded Redis (as the IVR's
    are); yields its port and its web processes' pids, and stops it after."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"sqlite:///{folder / 'jobline.db'}"
    upgrade(url)
    db.configure(url)
    with db.SessionLocal() as s:
        users(s)
        s.commit()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CI"}}
    env.update(JOBLINE_ENV="development", JOBLINE_INSTANCE=str(folder), DATABASE_URL=url, WEB_WORKERS="2")
    serve = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=open(folder / "serve.log", "w"))
    try:
        for _ in range(300):  # until both workers have loaded the app and answer
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        changes.publish_to(f"unix://{folder / 'redis.sock'}")  # the embedded Redis `serve` started
        yield port, _web_pids(serve.pid)
    finally:
        serve.terminate()
        serve.wait(30)


class Desk(threading.Thread):
    """One open desk: live (an event stream, a fetch on each event) or polling every 1.5 s."""

    def __init__(self, port: int, cookie: str, live: bool, stop: threading.Event, heard: list) -> None:
        super().__init__(daemon=True)
        self.port, self.cookie, self.live, self.stop, self.heard = port, cookie, live, stop, heard
        self.fetches, self.refused, self.opened = 0, 0, threading.Event()

    def _fetch(self, conn: http.client.HTTPConnection) -> None:
        try:
            conn.request("GET", "/api/desk", headers={"Cookie": self.cookie, "X-Jobline-Poll": "1"})
            answer = conn.getresponse()
        except (ConnectionError, http.client.HTTPException):  # keep-alive ended (gunicorn: 2 s idle)
            conn.close()
            conn.request("GET", "/api/desk", headers={"Cookie": self.cookie, "X-Jobline-Poll": "1"})
            answer = conn.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
        self.fetches += 1

    def run(self) -> None:
        try:
            self._run()
        except (OSError, http.client.HTTPException):
            if not self.stop.is_set():
                raise

    def _run(self) -> None:
        api = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        if not self.live:
            while not self.stop.is_set():
                self._fetch(api)
                self.stop.wait(POLL_S)
            return
        while not self.stop.is_set():
            stream = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SAFETY_S + 15)
            stream.request("GET", "/api/events",
                           headers={"Cookie": self.cookie, "Accept": "text/event-stream"})
            answer = stream.getresponse()
            if answer.status != 200:  # all of this worker's stream slots taken: try again
                answer.read()
                self.refused += 1
                self.stop.wait(2)
                continue
            self.opened.set()
            fetched = time.monotonic()
            while not self.stop.is_set() and (line := answer.readline()):
                if line.startswith(b"data:"):
                    self.heard.append(time.perf_counter())
                    self._fetch(api)
                    fetched = time.monotonic()
                elif time.monotonic() - fetched >= SAFETY_S:
                    self._fetch(api)
                    fetched = time.monotonic()
            stream.close()


def _phase(port: int, cookies: list[str], live: bool, seconds: float, join_every: float,
           pids: list[int]) -> dict:
    stop, heard_by = threading.Event(), []
    desks = []
    for cookie in cookies:
        heard: list[float] = []
        heard_by.append(heard)
        desks.append(Desk(port, cookie, live, stop, heard))
    for desk in desks:
        desk.start()
    if live:
        for desk in desks:
            desk.opened.wait(60)
    time.sleep(2)  # settle: every desk has drawn once
    lags, joins = [], 0
    cpu0, t0 = _cpu_s(pids), time.monotonic()
    while time.monotonic() - t0 < seconds:
        counts = [len(h) for h in heard_by]
        with db.SessionLocal() as s:
            waiting_call(s, phone=f"+447700{joins:06d}", queue="benefits", waited_s=1, now=utcnow())
            start = time.perf_counter()
            s.commit()
        joins += 1
        if live:  # every desk that shows benefits hears it; the general-only desks do not
            deadline = time.monotonic() + join_every
            listening = [i for i, c in enumerate(cookies) if c not in _GENERAL_ONLY]
            while time.monotonic() < deadline and any(len(heard_by[i]) <= counts[i] for i in listening):
                time.sleep(0.005)
            lags += [(heard_by[i][counts[i]] - start) * 1000
                     for i in listening if len(heard_by[i]) > counts[i]]
        time.sleep(max(0.0, t0 + joins * join_every - time.monotonic()))
    cpu, wall = _cpu_s(pids) - cpu0, time.monotonic() - t0
    stop.set()
    return {"cpu_s": cpu, "wall_s": wall, "joins": joins, "lags": lags,
            "fetches": sum(d.fetches for d in desks), "refused": sum(d.refused for d in desks)}


_GENERAL_ONLY: set[str] = set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--join-every", type=float, default=5.0)
    args = parser.parse_args()

    def advisers(s: Session) -> None:
        for name, queues in ADVISERS.items():
            create_user(s, name, name.title(), "agent", PASSWORD, queues=queues, languages=["en"])

    with serving("jobline-bench-push-", advisers) as (port, pids):
        signed = {name: _sign_in(port, name) for name in ADVISERS}
        _GENERAL_ONLY.add(signed["general1"])
        names = list(ADVISERS)
        cookies = [signed[names[i % len(names)]] for i in range(args.desks)]
        polled = _phase(port, cookies, False, args.seconds, args.join_every, pids)
        pushed = _phase(port, cookies, True, args.seconds, args.join_every, pids)

    lags = sorted(pushed["lags"])
    p = (lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]) if lags else (lambda q: float("nan"))
    poll_cpu = polled["cpu_s"] / polled["wall_s"] * 100
    push_cpu = pushed["cpu_s"] / pushed["wall_s"] * 100
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, Python "
          f"{platform.python_version()}, SQLite, run.py serve (gunicorn gthread, 2 workers)")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{args.desks} desks, {args.seconds:.0f} s per mode, a caller joins 'benefits' every "
          f"{args.join_every:g} s ({pushed['joins']} joins pushed, {polled['joins']} polled)")
    print(f"  join -> event on every desk showing the queue: p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, "
          f"max {lags[-1] if lags else float('nan'):.0f} ms over {len(lags)} deliveries")
    print(f"  web CPU, polling every {POLL_S:g} s (baseline): {poll_cpu:6.1f} % of one core, "
          f"{polled['fetches']} GET /api/desk")
    print(f"  web CPU, pushed by events:              {push_cpu:6.1f} % of one core, "
          f"{pushed['fetches']} GET /api/desk   {push_cpu / poll_cpu:5.2f}x baseline")
    print(f"  streams refused (a worker's slots full) and retried: {pushed['refused']}")
    print(f"  (a polling desk sees a new caller after {POLL_S / 2 * 1000:.0f} ms on average, "
          f"up to {POLL_S * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
