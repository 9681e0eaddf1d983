"""Engine and sessions. The app factory and the worker call `configure()` once per process.

Web requests get one session each (`db.session.current()`, closed at teardown); jobs open their
own with `with SessionLocal.begin() as s:`.

Twilio waits 15 s in all for a webhook's answer, then gives up on it and requests the fallback
URL (https://www.twilio.com/docs/api/errors/11205). On PostgreSQL a database that does not
answer therefore fails fast: connecting (CONNECT_TIMEOUT_S) and waiting for a pooled connection
(POOL_TIMEOUT_S) are bounded everywhere, and in a webhook each statement is cut at
`statement_timeout` (the step engine's connections always; an ORM session once the request
called `limit_statements()`), so the webhook's error handler still answers the caller in time.
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
# Each well inside Twilio's 15 s, leaving the error handler time to answer (see above).
CONNECT_TIMEOUT_S = 3
POOL_TIMEOUT_S = 3  # SQLAlchemy's default (30 s) would outlast Twilio's patience
STATEMENT_TIMEOUT_MS = 5000  # a webhook's slowest statement is a few ms; 5 s is a sick server
_statement_timeout_ms = STATEMENT_TIMEOUT_MS


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
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=POOL_TIMEOUT_S,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_S})


IDLE_PING_S = 30.0  # a step connection idle longer than this is checked before use
_step_engines: dict[tuple[Engine, int], Engine] = {}  # by the app's engine and the statement limit


def step_engine() -> Engine:
    """The engine of the IVR's menu steps, status callbacks and hold loop: the hot path, whose
    Core statements run on its `Connection` (ivr/callstate.py, ivr/queue/hold.py).

    On PostgreSQL it is a small pool of its own whose statements are cut at `statement_timeout`
    and whose commits do not wait for the disk (synchronous_commit off: a crash of the database
    server could lose the last fraction of a second of menu steps, never corrupt them), and whose
    connections are checked only after they sat idle, not on every checkout. On SQLite it is
    the app's engine.
    """
    main = engine()
    if main.dialect.name != "postgresql":
        return main
    key = (main, _statement_timeout_ms)  # looked up on every webhook: no URL rendered for it
    if key not in _step_engines:
        url = main.url.render_as_string(hide_password=False)
        options = f"-c synchronous_commit=off -c statement_timeout={_statement_timeout_ms}"
        step = create_engine(url, pool_size=3, max_overflow=10, pool_timeout=POOL_TIMEOUT_S,
                             connect_args={"options": options, "connect_timeout": CONNECT_TIMEOUT_S})
        event.listen(step, "checkin", _mark_idle)
        event.listen(step, "checkout", _ping_if_idle)
        _step_engines[key] = step
    return _step_engines[key]


def _mark_idle(_dbapi_conn: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    if time.monotonic() - record.info.get("idle_since", time.monotonic()) < IDLE_PING_S:
        return
    try:
        dbapi_conn.execute("SELECT 1")
        dbapi_conn.rollback()  # the ping's own transaction: the connection goes out idle
    except Exception as error:  # the server dropped it: the pool opens a fresh one
        raise DisconnectionError("idle step connection is gone") from error


def configure(url: str, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS) -> Engine:
    """Bind SessionLocal to the database at `url` (replacing any previous engine); webhooks'
    statements are cut after `statement_timeout_ms` on PostgreSQL."""
    global _engine, _statement_timeout_ms
    if statement_timeout_ms < 1:
        raise ValueError("statement_timeout_ms must be a positive number of milliseconds")
    _statement_timeout_ms = int(statement_timeout_ms)
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
    """The session of the current web request (statements cut at the webhook limit when the
    request called `limit_statements()` first)."""
    if "db_session" not in g:
        g.db_session = SessionLocal(info={"statement_timeout_ms": g.get("db_statement_timeout_ms")})
    return g.db_session


def limit_statements() -> None:
    """This request answers Twilio: its ORM statements are cut at the webhook limit."""
    g.db_statement_timeout_ms = _statement_timeout_ms


@event.listens_for(SessionLocal, "after_begin")
def _cut_slow_statements(session: Session, _transaction: Any, connection: Any) -> None:
    """SET LOCAL: the limit ends with the transaction, so a pooled connection goes back clean."""
    limit = session.info.get("statement_timeout_ms")
    if limit and connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(limit)}")


def is_open() -> bool:
    """Whether this request has opened its session."""
    return "db_session" in g


def close_current(_exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
