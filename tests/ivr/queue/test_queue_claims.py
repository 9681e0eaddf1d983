"""Twenty advisers answering at once from a line of a hundred callers: every caller is claimed
exactly once, on SQLite and on PostgreSQL (each adviser a thread with its own session)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from callcenter.routing import claims as routing
from db import advisers
from db import session as db
from db.models import AgentStatusChange, Call, QueueEntry, User
from tests.support.env import OPEN_TIME

ADVISERS, CALLERS = 20, 100


def fill_line(n: int, queue: str = "general") -> list[int]:
    with db.SessionLocal.begin() as s:
        calls = [Call(sid=f"CA{i:032x}", language="en", started_at=OPEN_TIME) for i in range(n)]
        s.add_all(calls)
        s.flush()
        entries = [QueueEntry(call_id=c.id, queue=queue, language="en", priority=0, status="waiting",
                              enqueued_at=OPEN_TIME + timedelta(seconds=i)) for i, c in enumerate(calls)]
        s.add_all(entries)
        s.flush()
        return [e.id for e in entries]


def make_advisers(n: int) -> list[int]:
    with db.SessionLocal.begin() as s:
        users = [User(username=f"a{i}", name=f"A {i}", password_hash="x", queues=["general"],
                      languages=["en"], status="available") for i in range(n)]
        s.add_all(users)
        s.flush()
        return [u.id for u in users]


def test_twenty_advisers_claiming_at_once_never_share_a_caller(app):
    line = fill_line(CALLERS)
    advisers = make_advisers(ADVISERS)
    start = threading.Barrier(ADVISERS)
    claimed: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def desk(agent_id: int) -> None:
        try:
            with db.SessionLocal() as s:
                agent = s.get(User, agent_id)
                s.commit()  # hand the connection back to the pool while waiting for the others
                start.wait(timeout=60)
                while True:
                    entry = routing.claim_next(s, agent, OPEN_TIME)
                    s.commit()
                    if entry is None:
                        return
                    with lock:
                        claimed.append((agent_id, entry.id))
        except BaseException as e:  # reported below: a thread's exception would vanish
            errors.append(e)

    threads = [threading.Thread(target=desk, args=(a,)) for a in advisers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "an adviser's claim never returned"
    assert errors == []
    assert sorted(e for _, e in claimed) == sorted(line)  # each caller once, none lost
    with db.SessionLocal() as s:
        rows = dict(s.execute(select(QueueEntry.id, QueueEntry.agent_id)).all())
        assert all(rows[e] == a for a, e in claimed)  # the stored winner is the one who was told
        assert s.scalar(select(func.count()).select_from(QueueEntry)
                        .where(QueueEntry.status != "connecting")) == 0


def test_the_line_is_served_by_priority_then_arrival_and_claims_are_checked(app):
    low = fill_line(2)
    with db.SessionLocal.begin() as s:
        call = Call(sid="CA" + "f" * 32, language="en")
        s.add(call)
        s.flush()
        urgent = QueueEntry(call_id=call.id, queue="general", language="en", priority=5,
                            status="waiting", enqueued_at=OPEN_TIME + timedelta(minutes=5))
        s.add(urgent)
        s.flush()
        urgent_id = urgent.id
    [agent_id] = make_advisers(1)
    with db.SessionLocal() as s:
        assert [e.id for e in routing.waiting_entries(s, ["general"], ["en"])] == [urgent_id, *low]
        assert routing.waiting_entries(s, ["general"], ["fr"]) == []
        agent = s.get(User, agent_id)
        assert routing.claim_next(s, agent, OPEN_TIME).id == urgent_id
        assert routing.claim(s, agent, urgent_id, OPEN_TIME) is None  # already taken
        s.commit()
        other = s.get(User, make_advisers_named("b", ["benefits"]))
        assert routing.claim(s, other, low[0], OPEN_TIME) is None  # not a queue they serve


def make_advisers_named(prefix: str, queues: list[str]) -> int:
    with db.SessionLocal.begin() as s:
        user = User(username=f"{prefix}1", name="B", password_hash="x", queues=queues, languages=["en"],
                    status="available")
        s.add(user)
        s.flush()
        return user.id


def test_statuses_are_checked_and_recorded_and_only_logged_in_advisers_serve(app):
    [a, b] = make_advisers(2)
    with db.SessionLocal() as s:
        agent = s.get(User, a)
        advisers.set_status(s, agent, "break", OPEN_TIME)
        advisers.set_status(s, agent, "break", OPEN_TIME)  # no second row for the same status
        try:
            advisers.set_status(s, agent, "asleep", OPEN_TIME)
            raise AssertionError("an unknown status was accepted")
        except ValueError as e:
            assert "asleep" in str(e)
        advisers.set_status(s, s.get(User, b), "offline", OPEN_TIME)
        s.commit()
        assert [u.id for u in advisers.serving(s, "general", "en")] == [a]
        assert advisers.serving(s, "general", "fr") == []
        assert s.scalars(select(AgentStatusChange.status).where(AgentStatusChange.user_id == a)).all() == [
            "break"]
