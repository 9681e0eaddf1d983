"""Offered calls (issue 16): in an offer-mode queue the next caller rings on the desk of the
longest-idle adviser who serves their queue and language; an offer not answered in time moves on,
an adviser who keeps missing them is put on a break, a rejected caller goes to the next adviser,
and no caller nor adviser ever holds two open offers, however many processes match at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from callcenter.accounts.users import create_user
from callcenter.routing import offers
from db import session as db
from db.models import Offer, User
from tests.support.desk import PASSWORD, waiting_call
from tests.support.env import OPEN_TIME
from tests.support.offers import offer_flow


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(IVR_FILE=offer_flow(tmp_path / "flow", queues=("general", "benefits")))


@pytest.fixture
def flow(app):
    return app.extensions["jobline.flow"]


def adviser(s, username: str, idle_s: int, queues=("general", "benefits"), languages=("en",)) -> User:
    """An available adviser, idle (available) for `idle_s` seconds before OPEN_TIME."""
    user, _ = create_user(s, username, username.title(), "agent", PASSWORD, queues=list(queues),
                          languages=list(languages))
    user.status, user.status_since = "available", OPEN_TIME - timedelta(seconds=idle_s)
    s.flush()
    return user


def open_offers(s) -> list[tuple[int | None, str]]:
    """(queue leg, adviser's username) of each open offer."""
    s.expire_all()
    return [(o.entry_id, s.get(User, o.agent_id).username)
            for o in s.scalars(select(Offer).where(Offer.status == "open").order_by(Offer.id))]


def test_the_longest_idle_adviser_who_serves_the_caller_is_offered_them(app, flow, s):
    adviser(s, "ada", idle_s=60)
    adviser(s, "bob", idle_s=600)  # idle longest, but does not speak Spanish
    adviser(s, "cyd", idle_s=300, languages=("en", "es"))
    adviser(s, "dan", idle_s=900, queues=("employers",), languages=("es",))  # not this queue
    caller = waiting_call(s, queue="general", language="es")
    assert offers.match(s, flow, OPEN_TIME) == 1
    assert open_offers(s) == [(caller.id, "cyd")]
    offer = s.scalar(select(Offer))
    assert offer.expires_at == OPEN_TIME + timedelta(seconds=20)


def test_callers_are_offered_in_priority_order_across_queues(app, flow, s):
    adviser(s, "ada", idle_s=60)
    general = waiting_call(s, phone="+447700900101", queue="general", waited_s=300)
    benefits = waiting_call(s, phone="+447700900102", queue="benefits", waited_s=10)
    benefits.priority = flow.queues["benefits"].priority  # 1: served before general's 0
    s.flush()
    offers.match(s, flow, OPEN_TIME)
    assert open_offers(s) == [(benefits.id, "ada")]
    assert general.id not in [entry for entry, _ in open_offers(s)]


def test_a_pull_queue_caller_is_never_offered(app, flow, s):
    adviser(s, "ada", idle_s=60, queues=("general", "employers"))
    waiting_call(s, queue="employers")
    assert offers.match(s, flow, OPEN_TIME) == 0 and open_offers(s) == []


def test_an_unanswered_offer_moves_on_and_repeated_misses_send_the_adviser_away(app, flow, s):
    adviser(s, "ada", idle_s=600)
    adviser(s, "bob", idle_s=60)
    caller = waiting_call(s, queue="general")
    offers.match(s, flow, OPEN_TIME)
    assert open_offers(s) == [(caller.id, "ada")]
    later = OPEN_TIME + timedelta(seconds=21)
    offers.match(s, flow, later)  # ada missed it: bob's turn, and ada is not offered it back yet
    assert open_offers(s) == [(caller.id, "bob")]
    assert s.scalar(select(Offer.status).where(Offer.id == 1)) == "missed"
    assert s.scalar(select(User.status).where(User.username == "ada")) == "available"  # one miss

    second = waiting_call(s, phone="+447700900555", queue="general")
    offers.match(s, flow, later)
    assert (second.id, "ada") in open_offers(s)
    offers.match(s, flow, later + timedelta(seconds=21))  # ada's second miss in a row; bob's first
    s.expire_all()
    assert s.scalar(select(User.status).where(User.username == "ada")) == "break"
    assert s.scalar(select(User.status).where(User.username == "bob")) == "available"
    assert "ada" not in [name for _, name in open_offers(s)]


def test_a_rejected_caller_is_offered_to_the_next_adviser_not_back(app, flow, s):
    ada = adviser(s, "ada", idle_s=600)
    caller = waiting_call(s, queue="general")
    offers.match(s, flow, OPEN_TIME)
    offer = s.scalar(select(Offer))
    offers.reject(s, flow, offer.id, ada, OPEN_TIME)
    assert open_offers(s) == []  # nobody else serves it; ada is not rung again at once
    bob = adviser(s, "bob", idle_s=5)
    offers.match(s, flow, OPEN_TIME + timedelta(seconds=1))
    assert open_offers(s) == [(caller.id, "bob")]
    with pytest.raises(offers.OfferGone):
        offers.reject(s, flow, offer.id, ada, OPEN_TIME)
    with pytest.raises(LookupError):
        offers.accept(s, s.scalar(select(Offer.id).where(Offer.status == "open")), ada, OPEN_TIME)
    assert offers.accept(s, open_offers_id(s), bob, OPEN_TIME).status == "accepted"
    s.expire_all()
    assert (caller.status, caller.agent_id) == ("connecting", bob.id)  # claimed, as /api/answer does


def open_offers_id(s) -> int:
    return s.scalar(select(Offer.id).where(Offer.status == "open"))


def test_an_offer_is_withdrawn_when_the_caller_leaves(app, flow, s):
    adviser(s, "ada", idle_s=60)
    caller = waiting_call(s, queue="general")
    offers.match(s, flow, OPEN_TIME)
    caller.status, caller.outcome = "left", "abandoned"
    s.flush()
    offers.match(s, flow, OPEN_TIME + timedelta(seconds=30))
    assert s.scalar(select(Offer.status)) == "withdrawn"  # not a miss: the adviser stays available
    assert s.scalar(select(User.status).where(User.username == "ada")) == "available"


def test_no_double_offers_when_many_processes_match_at_once(app, flow, s):
    """Eight threads, each with its own connection, match the same callers and advisers at once."""
    for n in range(6):
        adviser(s, f"adviser{n}", idle_s=100 + n)
    for n in range(10):
        waiting_call(s, phone=f"+4477009002{n:02d}", queue="general")
    s.commit()
    start, errors = threading.Barrier(8), []

    def matcher() -> None:
        try:
            start.wait()
            for _ in range(3):
                with db.SessionLocal.begin() as own:
                    offers.match(own, flow, OPEN_TIME)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(repr(e))

    threads = [threading.Thread(target=matcher) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s.expire_all()
    rows = s.execute(select(Offer.entry_id, Offer.agent_id).where(Offer.status == "open")).all()
    assert len(rows) == 6  # every adviser rung once
    assert len({entry for entry, _ in rows}) == 6 and len({agent for _, agent in rows}) == 6
    assert s.scalar(select(func.count()).select_from(Offer)) == 6  # and no offer made twice


@pytest.mark.parametrize("second", [{"entry_id": "same", "agent": "other"},
                                    {"entry_id": "other", "agent": "same"}])
def test_the_database_itself_refuses_a_second_open_offer(app, flow, s, second):
    """Whatever code runs: a second open offer of one caller, or to one adviser, is refused."""
    ada, bob = adviser(s, "ada", idle_s=60), adviser(s, "bob", idle_s=60)
    one = waiting_call(s, phone="+447700900301", queue="general")
    two = waiting_call(s, phone="+447700900302", queue="general")
    until = OPEN_TIME + timedelta(seconds=20)
    s.add(Offer(entry_id=one.id, queue="general", agent_id=ada.id, expires_at=until, status="missed"))
    s.add(Offer(entry_id=one.id, queue="general", agent_id=ada.id, expires_at=until))
    s.flush()  # closed offers are history: as many as happened beside the open one
    entry = one.id if second["entry_id"] == "same" else two.id
    agent = ada.id if second["agent"] == "same" else bob.id
    s.add(Offer(entry_id=entry, queue="general", agent_id=agent, expires_at=until))
    with pytest.raises(IntegrityError):
        s.flush()
    s.rollback()


def test_the_worker_runs_the_matcher_beside_the_callback_dialler():
    """Offers move on every few seconds even when no desk is open (run.py worker's timer)."""
    class Timer:
        def __init__(self) -> None:
            self.jobs: dict[str, int] = {}

        def register(self, func, queue_name, interval, **_kw) -> None:
            self.jobs[func.__name__] = interval

    timer = Timer()
    offers.register_cron(timer)
    assert timer.jobs == {"dial_due_callbacks": 15, "offer_calls": offers.TICK_S}


def test_an_adviser_who_went_on_a_break_cannot_accept_what_was_offered(app, flow, s):
    ada = adviser(s, "ada", idle_s=60)
    waiting_call(s, queue="general")
    offers.match(s, flow, OPEN_TIME)
    ada.status = "break"
    s.flush()
    with pytest.raises(offers.OfferGone, match="set yourself Available"):
        offers.accept(s, open_offers_id(s), ada, OPEN_TIME)
    offers.match(s, flow, OPEN_TIME)
    assert s.scalar(select(Offer.status)) == "withdrawn" and open_offers(s) == []


def test_an_offer_made_wakes_the_desks(app, flow, s):
    """The offer is an INSERT the ORM does not flush: the change feed still hears of it, so the
    offered adviser's desk (its Server-Sent Events stream) refreshes and rings."""
    from redis import Redis

    from db import changes

    adviser(s, "ada", idle_s=60)
    waiting_call(s, queue="general")
    s.commit()
    redis = Redis.from_url(app.config["REDIS_URL"])
    feed = redis.pubsub(ignore_subscribe_messages=True)
    feed.subscribe(changes.channel(redis))
    with db.SessionLocal.begin() as own:
        assert offers.match(own, flow, OPEN_TIME) == 1
    message = None
    for _ in range(50):  # the PUBLISH went out at commit; read until it is here
        message = feed.get_message(timeout=0.2)
        if message:
            break
    feed.close()
    assert message is not None and message["data"] == changes.ALL.encode()
