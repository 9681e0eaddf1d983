"""The test world every suite shares: the Twilio account and token, the helpline's caller ID, the
clock's open and closed times, and a PostgreSQL database or Redis database for one run."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis import Redis

# The repository: commands and files the tests use are found from here.
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "1" * 32
CALLER_ID = "+441632960000"  # the helpline's local number callbacks ring from (UK drama range)
IN_CI = os.environ.get("CI") == "true"
PG_ADMIN = os.environ.get("TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# A Monday at 10:00 in London (advisers on duty), and a Saturday (closed).
OPEN_TIME = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CLOSED_TIME = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def postgres_database(name: str) -> str | None:
    """A new, empty PostgreSQL database `name`; None (or a CI failure) when no server answers."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as e:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and did not answer at {PG_ADMIN}: {e}")
        return None
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"



# Each test run takes a Redis database of its own (locked by a key), so two runs on one machine
# (a developer's and CI's, or two terminals) never flush each other's data.
REDIS_DBS = range(15, 0, -1)
LOCK_KEY = "jobline:tests:lock"
LOCK_TTL_S = 3 * 3600


def with_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return urlunsplit(parts._replace(query=f"db={number}"))
    return urlunsplit(parts._replace(path=f"/{number}"))


def fresh_redis(url: str) -> Redis:
    """Empty this run's Redis database, keeping the run's claim on it."""
    conn = Redis.from_url(url)
    conn.flushdb()
    conn.set(LOCK_KEY, os.getpid(), ex=LOCK_TTL_S)
    return conn


def database_for(backend: str, folder: Path, name: str) -> str:
    """An empty database of that backend ('sqlite' in folder, or PostgreSQL `name`), or a skip."""
    if backend == "sqlite":
        return f"sqlite:///{folder / (name + '.db')}"
    url = postgres_database(f"{name}_{os.getpid()}")
    if url is None:
        pytest.skip(f"no PostgreSQL server answers at {PG_ADMIN}")
    return url
