"""Statements run on the driver's cursor (db/direct.py) store and read what the ORM does."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select

from db import direct
from db import session as db
from db.direct import Direct
from db.models import Call, CallEvent

_events = CallEvent.__table__
ADD = Direct(insert(_events).values({c: bindparam(c, type_=_events.c[c].type)
                                     for c in ("call_id", "at", "kind", "node", "detail")}))
STATUS_STEPS = Direct(select(_events.c.at, _events.c.detail)
                      .where(_events.c.call_id == bindparam("call_id"), _events.c.kind == "status")
                      .order_by(_events.c.at))


def a_call(s) -> Call:
    call = Call(sid="CA" + "7" * 32, status="in-progress")
    s.add(call)
    s.commit()
    return call


def test_timestamps_written_on_the_driver_read_back_exactly_through_the_orm(app, s):
    call = a_call(s)
    on_the_second = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # no microseconds: a format trap
    later = datetime(2026, 3, 2, 9, 0, 1, 250_000, tzinfo=UTC)
    with direct.connect(db.step_engine()) as conn:
        conn.executemany(ADD, [
            {"call_id": call.id, "at": later, "kind": "status", "node": None, "detail": "completed"},
            {"call_id": call.id, "at": on_the_second, "kind": "status", "node": None, "detail": "ringing"},
            {"call_id": call.id, "at": later, "kind": "key", "node": "main", "detail": "1"}])
        conn.commit()
        read = conn.execute(STATUS_STEPS, {"call_id": call.id})
    assert [(r.at, r.detail) for r in read] == [(on_the_second, "ringing"), (later, "completed")]
    assert all(r.at.tzinfo is not None for r in read)
    s.expire_all()
    assert sorted(e.at for e in s.scalars(select(CallEvent).where(CallEvent.call_id == call.id))) == [
        on_the_second, later, later]


def test_nothing_found_is_none_and_an_uncommitted_write_is_rolled_back(app, s):
    call = a_call(s)
    with direct.connect(db.engine()) as conn:  # the step engine autocommits on PostgreSQL
        assert conn.first(STATUS_STEPS, {"call_id": call.id + 1}) is None
        assert conn.scalar(STATUS_STEPS, {"call_id": call.id + 1}) is None
        conn.execute(ADD, {"call_id": call.id, "at": datetime.now(UTC), "kind": "status", "node": None,
                           "detail": "busy"})
    with direct.connect(db.engine()) as conn:
        assert conn.execute(STATUS_STEPS, {"call_id": call.id}) == []
