"""A callback to a number kept for fiction (the demo's, the web phone's) is never placed with
Twilio itself: the dial is refused before any request and the callback fails at once. Any other
number is dialled as before, and a stand-in for Twilio's API may still "ring" a fictional one."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.http.http_client import TwilioHttpClient

from callcenter.accounts.users import create_user
from callcenter.routing.callbacks import dial_due, reaches_twilio
from callcenter.webphone.bridge import BridgeHttpClient
from db import session as db
from db.models import Callback, User
from ivr.telephony.numbers import is_fictional
from tests.support.desk import PASSWORD, waiting_call
from tests.support.env import OPEN_TIME


@pytest.fixture
def twilio_requests(monkeypatch) -> list[str]:
    """Every request twilio's own HTTP client would send to api.twilio.com (none leaves)."""
    sent: list[str] = []

    def request(self, method, url, *args, **kwargs):
        sent.append(f"{method} {url}")
        raise ConnectionError("the tests do not talk to Twilio")

    monkeypatch.setattr(TwilioHttpClient, "request", request)
    return sent


def _book(phone: str) -> int:
    with db.SessionLocal.begin() as s:
        entry = waiting_call(s, phone=phone, queue="general", now=OPEN_TIME)
        entry.status, entry.outcome, entry.left_at = "left", "callback", OPEN_TIME
        adviser, _ = create_user(s, "agent7", "Ada Lovell", "agent", PASSWORD, queues=["general"],
                                 languages=["en"])
        adviser.status = "available"
        cb = Callback(call_id=entry.call_id, queue_entry_id=entry.id, queue="general", phone=phone,
                      language="en", requested_at=OPEN_TIME, enqueued_at=entry.enqueued_at)
        s.add(cb)
        s.flush()
        return cb.id


def _dial(app) -> list[int]:
    config = {k: v for k, v in app.config.items() if k != "TWILIO_HTTP_CLIENT"}  # as the worker's
    return dial_due(config, app.extensions["jobline.flow"], OPEN_TIME)


def test_a_callback_to_a_drama_number_is_refused_before_twilio_and_fails_at_once(
        app, twilio_requests, caplog):
    cb_id = _book("+447700900123")
    assert _dial(app) == [] and twilio_requests == []
    with db.SessionLocal() as s:
        cb = s.get(Callback, cb_id)
        adviser = s.scalar(select(User).where(User.username == "agent7"))
    assert (cb.status, cb.attempts) == ("failed", 1)  # no retry can reach anyone
    assert adviser.status == "available"  # freed for the next caller
    assert "range kept for fiction" in caplog.text and "+447700900123" not in caplog.text


def test_any_other_number_is_still_dialled_at_twilio(app, twilio_requests):
    cb_id = _book("+447911123456")
    assert _dial(app) == []  # the request was made (and failed here, with no network)
    assert [r for r in twilio_requests if r.startswith("POST ") and r.endswith("/Calls.json")]
    with db.SessionLocal() as s:
        assert s.get(Callback, cb_id).status == "pending"  # to be tried again later


def test_only_twilio_itself_counts_a_stand_in_may_ring_a_drama_number():
    class StandIn(TwilioHttpClient):  # as the tests' Prism mock: its own answers, no inner client
        pass

    assert reaches_twilio({}) and reaches_twilio({"TWILIO_HTTP_CLIENT": TwilioHttpClient()})
    # The bridge passes new calls on, but for those to its own demo numbers (they ring /phone).
    assert reaches_twilio({"TWILIO_HTTP_CLIENT": BridgeHttpClient("redis://unused")})
    assert not reaches_twilio({"TWILIO_HTTP_CLIENT": StandIn()})


@pytest.mark.parametrize(("phone", "fictional"), [
    ("+447700900000", True), ("+447700900999", True), ("+447700901000", False),  # 07700 900xxx only
    ("+442079460123", True), ("+442079461123", False), ("+4420794601234", False),  # 020 7946 0xxx
    ("+441134960500", True), ("+441632960000", True), ("+448081570000", True),
    ("+12125550150", True), ("+12125550200", False),  # North America: 555-0100 to 555-0199
    ("+447911123456", False), ("", False)])
def test_the_drama_ranges_are_exactly_ofcoms(phone, fictional):
    assert is_fictional(phone) is fictional
