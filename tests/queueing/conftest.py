"""Queue fixtures: Twilio's REST API mocked by Stoplight Prism from Twilio's own OpenAPI spec,
an app whose Twilio client talks to it, a clock the test moves, advisers, callers.

Prism validates every request against the spec; any answer that is a Prism problem document
(422 invalid, 401 no auth, 404, 405) is recorded and fails the test that caused it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

import pytest
from prism_mock import Clock, PrismHttpClient

from db import session as db
from db.models import User
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ACCOUNT, IN_CI, OPEN_TIME, TOKEN

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "twilio" / "twilio_api_v2010.prism.json"
PRISM = REPO / "node_modules" / ".bin" / "prism"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prism mock of Twilio's API v2010 on a free loopback port, for the whole session."""
    if not PRISM.exists():
        _missing(f"{PRISM} is missing: run `npm ci` at the repository root")
    if not SPEC.exists():
        _missing(f"Twilio's spec is missing at {SPEC} (../shared/twilio next to the repository)")
    port = _free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urlopen(f"{url}/2010-04-01/Accounts.json", timeout=2)
            break
        except HTTPError:
            break  # any HTTP answer (401 without credentials) means it is listening
        except (URLError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"Prism did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def twilio_http(prism_url: str) -> Iterator[PrismHttpClient]:
    client = PrismHttpClient(prism_url)
    yield client
    assert not client.problems, "Prism refused requests:\n" + "\n".join(client.problems)


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN_TIME)


@pytest.fixture
def qapp(make_app: Callable[..., Any], twilio_http: PrismHttpClient, clock: Clock) -> Any:
    return make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL="http://localhost", CLOCK=clock,
                    CALLBACK_MAX_ATTEMPTS=2)


@pytest.fixture
def caller(qapp: Any) -> Callable[[str], Phone]:
    def dial_from(number: str = "+447700900123") -> Phone:
        return Phone(FlaskTransport(qapp.test_client()), TOKEN, caller=number, account=ACCOUNT)

    return dial_from


@pytest.fixture
def adviser(qapp: Any, clock: Clock) -> Callable[..., int]:
    """Create a logged-in adviser; returns their id."""
    count = iter(range(1, 10_000))

    def make(queues: list[str] | None = None, languages: list[str] | None = None, phone: str | None = None,
             status: str = "available") -> int:
        n = next(count)
        with db.SessionLocal.begin() as s:
            user = User(username=f"adviser{n}", name=f"Adviser {n}", password_hash="x", role="agent",
                        phone=phone, queues=queues or ["general"], languages=languages or ["en"],
                        status=status, status_since=clock())
            s.add(user)
            s.flush()
            return user.id

    return make


os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # Prism is on loopback, never via a proxy
