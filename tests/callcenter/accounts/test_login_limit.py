"""Failed sign-ins are limited per username and address, across every web process (Redis)."""

from __future__ import annotations

import re
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest

from tests.support.desk import PASSWORD, csrf_from, sign_in
from tests.support.env import ACCOUNT, TOKEN, fresh_redis
from tests.support.live import serve


@pytest.fixture
def limit_redis(redis_url: str) -> str:
    """This run's own Redis database (tests/conftest.py locks one per run), emptied: the counters
    start at zero. A fixed database number would be shared with other runs on the machine, which
    flush it and reset the counters mid-test."""
    fresh_redis(redis_url)
    return redis_url


@pytest.fixture
def app(make_app, limit_redis):
    return make_app(REDIS_URL=limit_redis)


def test_eleventh_failed_sign_in_is_refused_with_when_to_retry(app, accounts):
    client = app.test_client()
    for _ in range(10):
        assert sign_in(client, "agent1", "wrong-password").status_code == 401
    response = sign_in(client, "agent1", "wrong-password")
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert "Too many failed sign-ins" in text and "Try again after" in text and "UTC" in text
    # Even the right password waits: the limit is on the door, not on the guess.
    assert sign_in(client, "agent1").status_code == 429
    # Another username from the same address is not locked out.
    assert sign_in(client, "supervisor1").status_code == 302


def test_successful_sign_ins_do_not_count(app, accounts):
    client = app.test_client()
    for _ in range(12):
        assert sign_in(client, "agent1").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_from(client, "/desk")})


class Browser:
    """A cookie-keeping HTTP client for a live server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def sign_in(self, username: str, password: str) -> int:
        html = self.opener.open(self.base + "/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        data = urlencode({"username": username, "password": password, "csrf_token": token}).encode()
        try:
            with self.opener.open(Request(self.base + "/login", data=data)) as resp:
                return resp.status
        except HTTPError as e:
            return e.code


def test_the_limit_holds_across_two_processes(app, accounts, database_url, limit_redis):
    config = {"ENV_NAME": "production", "SECRET_KEY": "live-test-secret", "DATABASE_URL": database_url,
              "REDIS_URL": limit_redis, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT,
              "PUBLIC_BASE_URL": "http://127.0.0.1"}  # plain http: the cookie is not Secure
    with serve(config) as first, serve(config) as second:
        a, b = Browser(first), Browser(second)
        statuses = [(a if i % 2 else b).sign_in("agent1", "wrong-password") for i in range(10)]
        assert statuses == [401] * 10
        assert a.sign_in("agent1", "wrong-password") == 429
        assert b.sign_in("agent1", PASSWORD) == 429
