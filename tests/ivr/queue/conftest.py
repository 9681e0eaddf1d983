"""Queue fixtures: Twilio's REST API mocked by Stoplight Prism from Twilio's own OpenAPI spec,
an app whose Twilio client talks to it, a clock the test moves, advisers, callers.

Prism validates every request against the spec; any answer that is a Prism problem document
(422 invalid, 401 no auth, 404, 405) is recorded and fails the test that caused it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from db import session as db
from db.models import User
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import ACCOUNT, OPEN_TIME, TOKEN
from tests.support.prism import Clock, PrismHttpClient


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
