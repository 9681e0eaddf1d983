"""Offered calls on the desk (issue 16): a caller of an offer-mode queue rings on one adviser's
desk with their summary and Accept / Reject; Accept puts them through (Twilio's REST side is
Prism serving Twilio's spec), Reject rings the next adviser, an offer left to run out moves on
and the adviser who keeps missing them finds themself on a break, told why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db import session as db
from db.models import Callback, QueueEntry
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import ACCOUNT, OPEN_TIME, TOKEN
from tests.support.offers import offer_flow
from tests.support.prism import Clock
from tests.support.queue import created_calls, desk_of, to_queue


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN_TIME)


@pytest.fixture
def qapp(make_app, twilio_http, clock, tmp_path):
    return make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL="http://localhost", CLOCK=clock,
                    IVR_FILE=offer_flow(tmp_path / "flow", queues=("general",), timeout_s=20))


@pytest.fixture
def caller(qapp):
    def dial_from(number: str = "+447700900123") -> Phone:
        return Phone(FlaskTransport(qapp.test_client()), TOKEN, caller=number, account=ACCOUNT)

    return dial_from


def state(desk) -> dict:
    answer = desk.get("/api/desk")
    assert answer.status_code == 200
    return answer.get_json()


def test_the_caller_rings_on_one_desk_with_their_summary_and_accept_puts_them_through(
        qapp, caller, clock, twilio_http):
    ada = desk_of(qapp, "ada")
    clock.tick(30)
    bob = desk_of(qapp, "bob")  # available later: ada has been idle longer
    p = to_queue(caller, "+447700900123")
    on_ada, on_bob = state(ada), state(bob)
    offer = on_ada["offer"]
    assert offer["kind"] == "call" and offer["queue"] == "general"
    assert offer["seconds_left"] == 20 and offer["summary"]["caller"].endswith("123")
    assert on_bob["offer"] is None
    assert [row["offered_only"] for row in on_bob["waiting"]] == [True]  # listed, not taken

    taken = bob.send("POST", "/api/answer", {"entry_id": on_bob["waiting"][0]["id"]})
    assert taken.status_code == 409 and "offered to advisers in turn" in taken.get_json()["error"]
    assert bob.send("POST", f"/api/offers/{offer['id']}/accept").status_code == 404  # not bob's

    accepted = ada.send("POST", f"/api/offers/{offer['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    now = accepted.get_json()
    assert now["current"]["id"] == offer["summary"]["id"] and now["offer"] is None
    assert now["me"]["status"] == "busy"
    assert twilio_http.calls_updated()[-1]["Url"] == [f"http://localhost/ivr/queue/connect/{offer['summary']['id']}"]
    again = ada.send("POST", f"/api/offers/{offer['id']}/accept")
    assert again.status_code == 409
    p.hangup()


def test_reject_rings_the_next_adviser(qapp, caller, clock):
    ada = desk_of(qapp, "ada")
    clock.tick(30)
    bob = desk_of(qapp, "bob")
    to_queue(caller, "+447700900124")
    offer = state(ada)["offer"]
    rejected = ada.send("POST", f"/api/offers/{offer['id']}/reject")
    assert rejected.status_code == 200 and rejected.get_json()["offer"] is None
    assert state(bob)["offer"]["summary"]["id"] == offer["summary"]["id"]
    late = ada.send("POST", f"/api/offers/{offer['id']}/accept")
    assert late.status_code == 409 and "no longer offered to you" in late.get_json()["error"]


def test_missed_offers_move_on_and_put_the_adviser_on_a_break_with_the_reason(qapp, caller, clock):
    ada = desk_of(qapp, "ada")
    to_queue(caller, "+447700900125")
    to_queue(caller, "+447700900126")
    first = state(ada)["offer"]
    clock.tick(21)
    second = state(ada)["offer"]  # the first ran out: the next caller, as nobody else is free
    assert second is not None and second["id"] != first["id"]
    expired = ada.send("POST", f"/api/offers/{first['id']}/accept")
    assert expired.status_code == 409 and "ran out of time" in expired.get_json()["error"]
    clock.tick(21)
    away = state(ada)
    assert away["me"]["status"] == "break" and away["offer"] is None
    assert "missed 2 offered calls in a row" in away["away_reason"]
    back = ada.send("PUT", "/api/me/status", {"status": "available"})
    assert back.status_code == 200
    assert state(ada)["away_reason"] is None and state(ada)["offer"] is not None


def test_a_due_callback_is_offered_first_and_dialled_once_accepted(qapp, caller, clock, twilio_http):
    ada = desk_of(qapp, "ada")
    p = to_queue(caller, "+447700900127")
    offer = state(ada)["offer"]
    ada.send("POST", f"/api/offers/{offer['id']}/reject")  # nobody takes the live caller ...
    p.press("1").press("1")  # ... who asks to be called back, keeping their place
    p.hangup()
    clock.tick(25)  # ada may be offered this caller again
    offered = state(ada)["offer"]
    assert offered["kind"] == "callback" and created_calls(twilio_http) == []  # not dialled yet
    accepted = ada.send("POST", f"/api/offers/{offered['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    assert len(created_calls(twilio_http)) == 1  # now Jobline calls the caller back
    assert accepted.get_json()["current"]["kind"] == "callback"
    with db.SessionLocal() as s:
        cb = s.scalar(select(Callback))
        assert (cb.status, cb.attempts) == ("dialing", 1)
        assert s.scalar(select(QueueEntry.outcome)) == "callback"
