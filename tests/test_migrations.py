"""Alembic owns the schema: the migrated database matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from db.models import Base


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_callers_on_hold_across_the_heartbeat_upgrade_count_as_seen_then(tmp_path):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from db.migrate import upgrade
    from db.models import Call, QueueEntry

    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    upgrade(url, "0006")
    engine = create_engine(url)
    joined = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:  # Core, naming columns 0006 has (seen_at comes with 0007)
        conn.execute(insert(Call.__table__).values(id=1, sid="CA" + "1" * 32))
        for leg, status in ((1, "waiting"), (2, "left")):
            conn.execute(insert(QueueEntry.__table__).values(id=leg, call_id=1, queue="general",
                                                             status=status, enqueued_at=joined))
    before = datetime.now(UTC)
    upgrade(url)
    with Session(engine) as s:
        waiting, left = s.get(QueueEntry, 1), s.get(QueueEntry, 2)
        assert before - timedelta(seconds=1) <= waiting.seen_at <= datetime.now(UTC)
        assert left.seen_at is None
    engine.dispose()


def test_callbacks_completed_before_the_wrap_up_upgrade_wait_for_no_one_s_done(tmp_path):
    from datetime import UTC, datetime

    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from db.migrate import upgrade
    from db.models import Call, Callback

    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    upgrade(url, "0007")
    engine = create_engine(url)
    ended = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    with engine.begin() as conn:  # Core, naming columns 0007 has (wrapped_at comes with 0008)
        conn.execute(insert(Call.__table__).values(id=1, sid="CA" + "1" * 32))
        for cb, status, completed in ((1, "completed", ended), (2, "pending", None)):
            conn.execute(insert(Callback.__table__).values(
                id=cb, call_id=1, queue="general", phone="+447700900123", status=status,
                requested_at=ended, enqueued_at=ended, completed_at=completed))
    upgrade(url)
    with Session(engine) as s:
        done, pending = s.get(Callback, 1), s.get(Callback, 2)
        assert (done.wrapped_at, done.disposition) == (ended, None)  # no desk shows it as to wrap up
        assert pending.wrapped_at is None
    engine.dispose()
