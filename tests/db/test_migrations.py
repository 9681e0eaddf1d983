"""Alembic owns the schema: the migrated database matches the models exactly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, create_engine, insert, select
from sqlalchemy.orm import Session

from db.migrate import upgrade
from db.models import Base, Call, Callback, Caller, QueueEntry


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    engine.dispose()
    assert diff == []


@contextmanager
def upgraded_from(tmp_path, revision: str, *rows: tuple[Table, dict]) -> Iterator[Session]:
    """A database at `revision` holding `rows` (Core inserts, naming only the columns that
    revision has), then upgraded to the latest: a session on it."""
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    upgrade(url, revision)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Call.__table__).values(id=1, sid="CA" + "1" * 32))
        for table, values in rows:
            conn.execute(insert(table).values(**values))
    upgrade(url)
    try:
        with Session(engine) as s:
            yield s
    finally:
        engine.dispose()


def test_callers_on_hold_across_the_heartbeat_upgrade_count_as_seen_then(tmp_path):
    joined = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    legs = QueueEntry.__table__
    before = datetime.now(UTC)
    with upgraded_from(tmp_path, "0006", *((legs, dict(id=leg, call_id=1, queue="general", status=status,
                                                       enqueued_at=joined))
                                            for leg, status in ((1, "waiting"), (2, "left")))) as s:
        waiting, left = s.get(QueueEntry, 1), s.get(QueueEntry, 2)
        assert before - timedelta(seconds=1) <= waiting.seen_at <= datetime.now(UTC)
        assert left.seen_at is None


def test_callbacks_completed_before_the_wrap_up_upgrade_wait_for_no_one_s_done(tmp_path):
    ended = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    callback = dict(call_id=1, queue="general", phone="+447700900123", requested_at=ended, enqueued_at=ended)
    with upgraded_from(tmp_path, "0007",
                       (Callback.__table__, dict(callback, id=1, status="completed", completed_at=ended)),
                       (Callback.__table__, dict(callback, id=2, status="pending"))) as s:
        done, pending = s.get(Callback, 1), s.get(Callback, 2)
        assert (done.wrapped_at, done.disposition) == (ended, None)  # no desk shows it as to wrap up
        assert pending.wrapped_at is None


def test_the_withheld_callers_upgrade_detaches_their_calls_and_forgets_them(tmp_path):
    """Before 0009 every withheld caller shared one caller row (Twilio's +266696687 and kin)."""
    callers, calls, at = Caller.__table__, Call.__table__, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    callback = dict(queue="general", requested_at=at, enqueued_at=at, status="pending")
    rows = [(callers, dict(id=1, phone="+266696687", language="es")),  # ANONYMOUS, two callers' calls
            (callers, dict(id=2, phone="+2562533", language="fr")),  # BLOCKED
            (callers, dict(id=3, phone="anonymous")),
            (callers, dict(id=4, phone="+447700900123", language="ko")),  # a real number: kept
            *((calls, dict(id=call, sid=f"CA{call:032d}", caller_id=caller))
              for call, caller in ((2, 1), (3, 1), (4, 2), (5, 3), (6, 4))),
            (Callback.__table__, dict(callback, id=1, call_id=3, phone="+266696687")),
            (Callback.__table__, dict(callback, id=2, call_id=6, phone="+447700900123"))]
    with upgraded_from(tmp_path, "0008", *rows) as s:
        kept = [(c.id, c.phone, c.language) for c in s.scalars(select(Caller))]
        assert kept == [(4, "+447700900123", "ko")]
        assert dict(s.execute(select(Call.id, Call.caller_id)).all()) == {1: None, 2: None, 3: None, 4: None,
                                                                          5: None, 6: 4}
        assert (s.get(Callback, 1).status, s.get(Callback, 2).status) == ("failed", "pending")  # no Lesotho
