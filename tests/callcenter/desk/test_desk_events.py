"""Desks pushed live (GET /api/events): a real threaded server, real Redis pub/sub, browsers'
streams read over HTTP. A caller joining a queue wakes the desks serving it and no other."""

from __future__ import annotations

import http.client
import queue
import re
import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests

from callcenter.accounts.users import create_user
from db import session as db
from db.models import utcnow
from tests.support.desk import PASSWORD, waiting_call

WAIT_S = 20  # a generous bound for a wait that normally ends in milliseconds (not a measurement)


def _loopback_is_secure(browser: requests.Session) -> None:
    """The app's cookies are Secure (its public address is https); browsers send them to 127.0.0.1
    as a secure context, requests only over https: let it send them here as a browser does."""
    for cookie in browser.cookies:
        cookie.secure = False


def _signed_in(base: str, username: str) -> requests.Session:
    browser = requests.Session()
    html = browser.get(base + "/login", timeout=WAIT_S).text
    _loopback_is_secure(browser)
    token = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', html).group(1)
    landed = browser.post(base + "/login", timeout=WAIT_S, allow_redirects=False,
                          data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert landed.status_code == 302, landed.text[:300]
    _loopback_is_secure(browser)
    return browser


class Stream:
    """One page's event stream over a plain socket, read in a thread: `events` gets each `data:`
    line it sends. (A socket, so that closing it ends the read at once, as a closed tab does.)"""

    def __init__(self, browser: requests.Session, url: str) -> None:
        parts = urlsplit(url)
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT_S)
        self.sock.sendall((f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                           f"Accept: text/event-stream\r\nCookie: {cookies}\r\n\r\n").encode())
        self.answer = http.client.HTTPResponse(self.sock)
        self.answer.begin()
        self.events: queue.Queue[str] = queue.Queue()
        self.opened = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while line := self.answer.readline():
                line = line.decode().rstrip("\r\n")
                if line == ": open":
                    self.opened.set()
                elif line.startswith("data:"):
                    self.events.put(line[5:].strip())
        except OSError:  # the test closed the stream
            pass

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


@pytest.fixture
def employers_adviser(accounts):
    with db.SessionLocal() as s:
        user, _ = create_user(s, "agent2", "Employers Adviser", "agent", PASSWORD,
                              queues=["employers"], languages=["en"], phone="+447700900998")
        s.commit()
    return user


def _caller_joins(queue_name: str) -> None:
    with db.SessionLocal() as s:
        waiting_call(s, queue=queue_name, waited_s=1, now=utcnow())
        s.commit()


def test_a_caller_joining_a_queue_wakes_the_desks_of_that_queue_only(live, accounts, employers_adviser):
    base, _ = live
    benefits = Stream(_signed_in(base, "agent1"), base + "/api/events")  # serves general and benefits
    employers = Stream(_signed_in(base, "agent2"), base + "/api/events")
    try:
        assert benefits.answer.status == 200 and employers.answer.status == 200
        assert benefits.answer.headers["Content-Type"].startswith("text/event-stream")
        assert benefits.answer.headers["X-Accel-Buffering"] == "no"  # nginx passes events on at once
        assert benefits.opened.wait(WAIT_S) and employers.opened.wait(WAIT_S)

        _caller_joins("benefits")
        assert benefits.events.get(timeout=WAIT_S) == "changed"
        # Then a caller for employers: that desk's first event is this one, the benefits one
        # never reached it (both pass through the same subscriber, in order).
        _caller_joins("employers")
        assert employers.events.get(timeout=WAIT_S) == "changed"
        assert employers.events.empty()
        # And the benefits desk, which refetches what it shows, sees its caller there.
        desk = _signed_in(base, "agent1").get(base + "/api/desk", timeout=WAIT_S).json()
        assert [row["queue"] for row in desk["waiting"]] == ["benefits"]
    finally:
        benefits.close()
        employers.close()


def test_the_wallboard_stream_hears_every_queue_and_only_supervisors_open_it(live, accounts):
    base, _ = live
    agent = _signed_in(base, "agent1")
    refused = agent.get(base + "/api/events?scope=wallboard", timeout=WAIT_S)
    assert refused.status_code == 403 and "supervisors" in refused.json()["error"]
    anonymous = requests.get(base + "/api/events", timeout=WAIT_S, allow_redirects=False)
    assert anonymous.status_code in (302, 401)

    board = Stream(_signed_in(base, "supervisor1"), base + "/api/events?scope=wallboard")
    try:
        assert board.opened.wait(WAIT_S)
        _caller_joins("employers")
        assert board.events.get(timeout=WAIT_S) == "changed"
    finally:
        board.close()


def test_the_streams_in_one_process_are_bounded_and_past_the_bound_the_page_polls(live, accounts):
    from callcenter.desk import events

    base, _ = live
    browser = _signed_in(base, "agent1")
    first = Stream(browser, base + "/api/events")
    hub = next(iter(events._hubs.values()))
    try:
        assert first.opened.wait(WAIT_S)
        taken = 0
        while hub.slots.acquire(blocking=False):  # every other slot of this process is in use
            taken += 1
        refused = browser.get(base + "/api/events", timeout=WAIT_S)
        assert refused.status_code == 503 and "refreshes itself" in refused.json()["error"]
        assert browser.get(base + "/api/desk", timeout=WAIT_S).status_code == 200  # requests still served
        for _ in range(taken):
            hub.slots.release()
    finally:
        first.close()
