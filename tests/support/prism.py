"""Twilio's REST API for the tests: Stoplight Prism serving Twilio's own OpenAPI spec (one process
for the session), the twilio library's HTTP client pointed at it, which records every request Prism
refused (a test fails on any), and a clock the tests move."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from twilio.http.http_client import TwilioHttpClient

PROBLEM_STATUSES = {401, 404, 405, 422}


class PrismHttpClient(TwilioHttpClient):
    """Sends the twilio library's requests to Prism and records what Prism refused."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.base_url = base_url
        self.problems: list[str] = []
        self.sent: list[tuple[str, str, dict[str, list[str]]]] = []

    def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: float | None = None, allow_redirects: bool = False) -> Any:
        parts = urlsplit(url)
        if parts.hostname and (parts.hostname == "twilio.com" or parts.hostname.endswith(".twilio.com")):
            url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        response = super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=allow_redirects)
        form = {k: v if isinstance(v, list) else [str(v)] for k, v in (data or {}).items()}
        self.sent.append((method, urlsplit(url).path, form))
        if response.status_code in PROBLEM_STATUSES:
            self.problems.append(f"{method} {urlsplit(url).path} -> {response.status_code}: "
                                 f"{response.text[:500]}")
        return response

    def calls_updated(self) -> list[dict[str, list[str]]]:
        return [form for method, path, form in self.sent
                if method == "POST" and "/Calls/" in path and path.endswith(".json")]


class Clock:
    """The app's clock, moved by the test (never the machine's time)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def form_of(sent: dict[str, list[str]], name: str) -> str:
    return (sent.get(name) or [""])[0]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "twilio" / "twilio_api_v2010.prism.json"
PRISM = REPO / "node_modules" / ".bin" / "prism"
IN_CI = os.environ.get("CI") == "true"  # in CI a missing mock fails the run instead of skipping


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
