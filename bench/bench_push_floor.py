"""Issue 16, the supervisors' pages: how soon a new caller shows on N open floors and wallboards,
pushed by Server-Sent Events, against the same pages polling every 1.5 s, in the same run.

Figures: the time from a caller joining a queue (the commit) to the page's data holding that
caller (a floor's /api/floor or a wallboard's /api/wallboard answer counting them: the event plus
the refetch for a pushed page, the next poll for a polling one), p50/p99/max over every page and
join; and the CPU of the server's web processes over each mode.

    .venv/bin/python bench/bench_push_floor.py [--pages 20] [--seconds 30] [--join-every 2]

`run.py serve` as bench_push.py starts it (gunicorn gthread, WEB_WORKERS=2, embedded Redis) on a
fresh SQLite file; half the pages are floors, half wallboards, signed in as two supervisors; each
is a thread on plain sockets (stdlib only). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_push import PASSWORD, POLL_S, SAFETY_S, _cpu_s, _sign_in, serving  # noqa: E402
from callcenter.accounts.users import create_user  # noqa: E402
from db import session as db  # noqa: E402
from db.models import utcnow  # noqa: E402
from tests.support.desk import waiting_call  # noqa: E402

SUPERVISORS = ("super1", "super2")
SOURCES = {"floor": "/api/floor", "wallboard": "/api/wallboard"}


def _waiting(kind: str, body: dict) -> int:
    if kind == "floor":
        return body["counts"]["waiting"]
    return sum(q["waiting"] for q in body["queues"])


class Page(threading.Thread):
    """One open floor or wallboard: live (the supervisors' stream, a fetch on each event) or polling."""

    def __init__(self, port: int, cookie: str, kind: str, live: bool, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.cookie, self.kind, self.live, self.stop = port, cookie, kind, live, stop
        self.seen: list[tuple[float, int]] = []  # (when the answer was read, callers it counted)
        self.refused, self.opened = 0, threading.Event()

    def _fetch(self, conn: http.client.HTTPConnection) -> None:
        for attempt in range(2):
            try:
                conn.request("GET", SOURCES[self.kind], headers={"Cookie": self.cookie})
                answer = conn.getresponse()
                body = answer.read()
                break
            except (ConnectionError, http.client.HTTPException):  # keep-alive ended: reconnect once
                conn.close()
                if attempt:
                    raise
        assert answer.status == 200, answer.status
        self.seen.append((time.perf_counter(), _waiting(self.kind, json.loads(body))))

    def run(self) -> None:
        try:
            self._run()
        except (OSError, http.client.HTTPException):
            if not self.stop.is_set():
                raise

    def _run(self) -> None:
        api = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        if not self.live:  # on a fixed beat, as the page's setInterval, however long a fetch takes
            start = time.monotonic()
            while not self.stop.is_set():
                self._fetch(api)
                self.stop.wait(POLL_S - (time.monotonic() - start) % POLL_S)
            return
        while not self.stop.is_set():
            stream = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SAFETY_S + 15)
            stream.request("GET", "/api/events?scope=wallboard",
                           headers={"Cookie": self.cookie, "Accept": "text/event-stream"})
            answer = stream.getresponse()
            if answer.status != 200:
                answer.read()
                self.refused += 1
                self.stop.wait(2)
                continue
            self.opened.set()
            self._fetch(api)  # on open, as live.js does
            fetched = time.monotonic()
            while not self.stop.is_set() and (line := answer.readline()):
                if line.startswith(b"data:") or time.monotonic() - fetched >= SAFETY_S:
                    self._fetch(api)
                    fetched = time.monotonic()
            stream.close()


def _lags(page: Page, joined: list[float], since: float) -> list[float]:
    """For each join, ms until this page's data first counted that caller."""
    before = [n for t, n in page.seen if t < since]
    base = before[-1] if before else page.seen[0][1]
    out = []
    for i, at in enumerate(joined):
        shown = next((t for t, n in page.seen if t >= at and n >= base + i + 1), None)
        if shown is not None:
            out.append((shown - at) * 1000)
    return out


def _phase(port: int, cookies: list[str], live: bool, seconds: float, join_every: float,
           pids: list[int]) -> dict:
    stop = threading.Event()
    kinds = ("floor", "wallboard")
    pages = [Page(port, cookie, kinds[i % 2], live, stop) for i, cookie in enumerate(cookies)]
    for page in pages:
        page.start()
    if live:
        for page in pages:
            page.opened.wait(60)
    time.sleep(2)  # settle: every page has fetched once
    joined: list[float] = []
    cpu0, t0, since = _cpu_s(pids), time.monotonic(), time.perf_counter()
    while time.monotonic() - t0 < seconds:
        with db.SessionLocal() as s:
            waiting_call(s, phone=f"+447700{len(joined):06d}", queue="benefits", waited_s=1, now=utcnow())
            s.commit()
            joined.append(time.perf_counter())
        time.sleep(max(0.0, t0 + len(joined) * join_every - time.monotonic()))
    time.sleep(POLL_S * 2)  # the last join reaches the polling pages too
    cpu, wall = _cpu_s(pids) - cpu0, time.monotonic() - t0
    stop.set()
    lags = sorted(lag for page in pages for lag in _lags(page, joined, since))
    return {"cpu_s": cpu, "wall_s": wall, "joins": len(joined), "lags": lags,
            "fetches": sum(len(p.seen) for p in pages), "refused": sum(p.refused for p in pages)}


def _pct(lags: list[float], q: float) -> float:
    return lags[min(len(lags) - 1, int(q * len(lags)))] if lags else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--join-every", type=float, default=2.0)
    args = parser.parse_args()

    def floor(s: Session) -> None:
        for name in SUPERVISORS:
            create_user(s, name, name.title(), "supervisor", PASSWORD)
        for n in range(8):  # a floor with advisers on it
            create_user(s, f"adviser{n}", f"Adviser {n}", "agent", PASSWORD, queues=["benefits", "general"],
                        languages=["en"])

    with serving("jobline-bench-floor-", floor) as (port, pids):
        signed = [_sign_in(port, name) for name in SUPERVISORS]
        cookies = [signed[i % len(signed)] for i in range(args.pages)]
        polled = _phase(port, cookies, False, args.seconds, args.join_every, pids)
        pushed = _phase(port, cookies, True, args.seconds, args.join_every, pids)

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, Python "
          f"{platform.python_version()}, SQLite, run.py serve (gunicorn gthread, 2 workers)")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{args.pages} supervisor pages (half floors, half wallboards), {args.seconds:.0f} s per mode, "
          f"a caller joins 'benefits' every {args.join_every:g} s")
    for name, mode in (("polling every 1.5 s (baseline)", polled), ("pushed by events", pushed)):
        lags = mode["lags"]
        print(f"  {name}: join -> caller in the page's data p50 {_pct(lags, 0.5):.0f} ms, "
              f"p99 {_pct(lags, 0.99):.0f} ms, max {lags[-1] if lags else float('nan'):.0f} ms "
              f"over {len(lags)} of {mode['joins'] * args.pages}; web CPU "
              f"{mode['cpu_s'] / mode['wall_s'] * 100:.1f} % of one core, {mode['fetches']} fetches")
    ratio = _pct(pushed["lags"], 0.5) / _pct(polled["lags"], 0.5)
    cpu = (pushed["cpu_s"] / pushed["wall_s"]) / (polled["cpu_s"] / polled["wall_s"])
    print(f"  pushed vs polling: p50 {ratio:.2f}x, p99 "
          f"{_pct(pushed['lags'], 0.99) / _pct(polled['lags'], 0.99):.2f}x, web CPU {cpu:.2f}x; "
          f"streams refused {pushed['refused']}")


if __name__ == "__main__":
    main()
