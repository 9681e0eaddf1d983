"""Engine and sessions. The app factory and the worker call `configure()` once per process.

Web requests get one session each (`db.session.current()`, closed at teardown); jobs open their
own with `with SessionLocal.begin() as s:`.
"""

from __future__ import annotations

import time
from typing import Any

from flask import g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SessionLocal = sessionmaker(expire_on_commit=False)
_engine: Engine | None = None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


IDLE_PING_S = 30.0  # a step connection idle longer than this is checked before use
_step_engines: dict[str, Engine] = {}


def step_engine() -> Engine:
    """The engine of the IVR's menu steps and hold loop (ivr/callstate.py): the hot path.

    On PostgreSQL it is a small pool of its own in autocommit mode (each hot-path write is one
    statement: ivr/pg_steps.py) whose commits do not wait for the disk (synchronous_commit off:
    a crash of the database server could lose the last fraction of a second of menu steps,
    never corrupt them), and whose connections are checked only after they sat idle, not on
    every checkout. On SQLite it is the app's engine.
    """
    main = engine()
    if main.dialect.name != "postgresql":
        return main
    url = main.url.render_as_string(hide_password=False)
    if url not in _step_engines:
        step = create_engine(url, pool_size=3, max_overflow=10, isolation_level="AUTOCOMMIT",
                             connect_args={"options": "-c synchronous_commit=off"})
        event.listen(step, "checkin", _mark_idle)
        event.listen(step, "checkout", _ping_if_idle)
        _step_engines[url] = step
    return _step_engines[url]


def _mark_idle(_dbapi_conn: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    if time.monotonic() - record.info.get("idle_since", time.monotonic()) < IDLE_PING_S:
        return
    try:
        dbapi_conn.execute("SELECT 1")
    except Exception as error:  # the server dropped it: the pool opens a fresh one
        raise DisconnectionError("idle step connection is gone") from error


def configure(url: str) -> Engine:
    """Bind SessionLocal to the database at `url` (replacing any previous engine)."""
    global _engine
    if _engine is not None and str(_engine.url) != url:
        _engine.dispose()
        for step in _step_engines.values():
            step.dispose()
        _step_engines.clear()
    if _engine is None or str(_engine.url) != url:
        _engine = make_engine(url)
    SessionLocal.configure(bind=_engine)
    return _engine


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("db.session.configure() has not been called in this process")
    return _engine


def current() -> Session:
    """The session of the current web request."""
    if "db_session" not in g:
        g.db_session = SessionLocal()
    return g.db_session


def is_open() -> bool:
    """Whether this request has opened its session."""
    return "db_session" in g


def close_current(_exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
