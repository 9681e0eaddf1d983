"""Engine and sessions. The app factory and the worker call `configure()` once per process.

Web requests get one session each (`db.session.current()`, closed at teardown); jobs open their
own with `with SessionLocal.begin() as s:`.
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import Engine, create_engine, event
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


def configure(url: str) -> Engine:
    """Bind SessionLocal to the database at `url` (replacing any previous engine)."""
    global _engine
    if _engine is not None and str(_engine.url) != url:
        _engine.dispose()
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


def close_current(_exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
