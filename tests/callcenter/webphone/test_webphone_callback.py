"""Issue 14: a callback to someone who called from the web phone rings that page, with no Twilio
account. The bridge answers the dialler's Calls.create as Twilio would; Answer plays Twilio's
side of an outbound call (the Url with Direction=outbound-api), Decline and no answer send the
status callback Twilio would (busy, no-answer), so the callback's try is counted as failed."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from callcenter.accounts.users import create_user
from callcenter.routing.callbacks import dial_due, job_config
from callcenter.webphone import rings
from callcenter.webphone.bridge import BridgeHttpClient
from callcenter.webphone.views import demo_number
from db import session as db
from db.models import Callback, User
from tests.support.desk import PASSWORD
from tests.support.env import OPEN_TIME


@pytest.fixture
def app(make_app):
    return make_app(DEMO_PHONE=True, CALLBACK_RETRY_S=0)


def _book_from_the_web_phone(desk) -> None:
    """English, 0 for an adviser; none is signed in, so 1 for a callback and 1 to confirm the number."""
    heard = desk.send("POST", "/phone/api/call", {}).get_json()
    for key in ("1", "0", "1", "1"):
        heard = desk.send("POST", "/phone/api/keys", {"digits": key, "since": heard["next"]}).get_json()
    assert heard["ended"], heard


def _adviser_free() -> int:
    with db.SessionLocal.begin() as s:
        adviser, _ = create_user(s, "ada", "Ada Lovell", "agent", PASSWORD, queues=["general"],
                                 languages=["en"], phone="+447700900901")
        adviser.status = "available"
        s.flush()
        return adviser.id


def _callback() -> Callback:
    with db.SessionLocal() as s:
        return s.scalars(select(Callback)).one()


def _ring(app, desk) -> dict:
    assert dial_due(app.config, app.extensions["jobline.flow"], OPEN_TIME) == [_callback().id]
    ring = desk.get("/phone/api/ring").get_json()
    assert ring["ringing"] and ring["sid"].startswith("CA") and len(ring["sid"]) == 34
    return ring


def test_a_callback_rings_the_web_phone_and_answering_puts_the_adviser_through(app, signed_in, accounts):
    desk = signed_in("agent")
    _book_from_the_web_phone(desk)
    adviser = _adviser_free()
    ring = _ring(app, desk)
    cb = _callback()
    assert (cb.status, cb.outbound_sid, cb.agent_id) == ("dialing", ring["sid"], adviser)

    answered = desk.send("POST", "/phone/api/ring/answer", {"sid": ring["sid"]}).get_json()
    said = " ".join(h["text"] for h in answered["heard"])
    assert "press 1" in said.lower() and answered["waiting"] == "Gather"
    assert desk.get("/phone/api/ring").get_json() == {"ringing": False}  # answered: no longer ringing

    talking = desk.send("POST", "/phone/api/keys", {"digits": "1", "since": answered["next"]}).get_json()
    assert talking["connected"] and not talking["ended"]
    cb = _callback()
    assert cb.status == "connected" and cb.connected_at is not None  # the adviser's leg took it
    ended = desk.send("POST", "/phone/api/hangup", {"since": talking["next"]}).get_json()
    assert ended["ended"]
    cb = _callback()
    assert cb.status == "completed"
    with db.SessionLocal() as s:
        assert s.get(User, adviser).status == "after_call"


def test_declining_reports_busy_and_the_try_counts_as_failed(app, signed_in):
    desk = signed_in("agent")
    _book_from_the_web_phone(desk)
    adviser = _adviser_free()
    ring = _ring(app, desk)
    assert desk.send("POST", "/phone/api/ring/decline", {"sid": ring["sid"]}).get_json() == {"ringing": False}
    cb = _callback()
    assert cb.status == "pending" and cb.attempts == 1 and cb.agent_id is None  # tried again later
    with db.SessionLocal() as s:
        assert s.get(User, adviser).status == "available"
    refused = desk.send("POST", "/phone/api/ring/answer", {"sid": ring["sid"]})
    assert refused.status_code == 409 and "stopped ringing" in refused.get_json()["error"]


def test_a_ring_nobody_answers_within_its_timeout_reports_no_answer(app, signed_in, monkeypatch):
    desk = signed_in("agent")
    _book_from_the_web_phone(desk)
    _adviser_free()
    _ring(app, desk)
    later = time.time() + 26  # the dialler's Timeout is 25 s
    monkeypatch.setattr(rings.time, "time", lambda: later)
    monkeypatch.setattr("callcenter.webphone.ringing.time.time", lambda: later)
    assert desk.get("/phone/api/ring").get_json() == {"ringing": False}
    cb = _callback()
    assert cb.status == "pending" and cb.attempts == 1


def test_the_ring_is_for_the_number_called_only(app, signed_in, accounts):
    """The bridge answers a create To a demo number; the owner of another number hears nothing."""
    client = BridgeHttpClient(app.config["REDIS_URL"])
    url = f"https://api.twilio.com/2010-04-01/Accounts/{app.config['TWILIO_ACCOUNT_SID']}/Calls.json"
    mine = demo_number(accounts["agent"].id)
    answer = client.request("POST", url, data={"To": mine, "From": "+441632960000", "Url": "http://localhost/x",
                                               "Timeout": 25})
    assert answer.status_code == 201 and '"status": "queued"' in answer.text
    assert signed_in("agent").get("/phone/api/ring").get_json()["ringing"]
    assert signed_in("supervisor").get("/phone/api/ring").get_json() == {"ringing": False}
    assert client.rings_web_phone(mine) and not client.rings_web_phone("+447911123456")


def test_the_worker_dials_through_the_bridge_when_the_web_phone_is_on(monkeypatch, redis_url):
    from config import settings

    monkeypatch.setattr(settings, "REDIS_URL", redis_url)
    monkeypatch.setattr(settings, "DEMO_PHONE", True)
    assert isinstance(job_config()["TWILIO_HTTP_CLIENT"], BridgeHttpClient)
    monkeypatch.setattr(settings, "DEMO_PHONE", False)
    assert "TWILIO_HTTP_CLIENT" not in job_config()
