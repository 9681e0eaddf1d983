"""Withheld caller IDs are not numbers: Twilio's +266696687 (ANONYMOUS) and its kin, or the words
themselves, never make a caller row, so two withheld callers never share a remembered language,
a callback number or a history; and an adviser's phone is rung with a caller ID it accepts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callcenter.accounts.users import create_user
from callcenter.routing import claims as routing
from db import session as db
from db.models import Call, Caller, User
from ivr.telephony.simulator import Phone
from tests.support.desk import PASSWORD, Desk, csrf_from, sign_in
from tests.support.env import CALLER_ID, OPEN_TIME

# https://help.twilio.com/articles/223179988-Why-am-I-getting-calls-from-these-strange-numbers-
WITHHELD = ["+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533", "anonymous", "Restricted"]
ADVISER_PHONE = "+447700900901"


def adviser_desk(app) -> tuple[Desk, int]:
    """An adviser with a phone, signed in to the desk and available for English and Spanish."""
    with db.SessionLocal.begin() as s:
        user, _ = create_user(s, "ada", "Ada Lovell", "agent", PASSWORD, queues=["general"],
                              languages=["en", "es"], phone=ADVISER_PHONE)
        s.flush()
        agent_id = user.id
    client = app.test_client()
    assert sign_in(client, "ada").status_code == 302
    desk = Desk(client, csrf_from(client, "/account/password"))
    assert desk.send("PUT", "/api/me/status", {"status": "available"}).status_code == 200
    return desk, agent_id


def asked_for_a_language(p: Phone) -> bool:
    return "For English, press 1." in p.heard_since(0)


def talk_to_the_adviser(app, p: Phone, agent_id: int) -> int:
    """The desk claims the caller and Twilio, told by the REST API, fetches the connect URL."""
    with app.app_context(), db.SessionLocal() as s:
        entry = routing.claim_next(s, s.get(User, agent_id), OPEN_TIME)
        s.commit()
        entry_id = entry.id
    p.redirect(f"/ivr/queue/connect/{entry_id}")
    return entry_id


@pytest.mark.parametrize("withheld", WITHHELD)
def test_two_withheld_callers_in_a_row_are_two_strangers(app, phone, s, withheld):
    desk, agent_id = adviser_desk(app)
    first = phone(withheld).dial()
    assert asked_for_a_language(first)
    first.press("2").press("0")  # Spanish, then an adviser
    entry_id = talk_to_the_adviser(app, first, agent_id)
    first.adviser_answers()
    first.adviser_hangs_up()
    first.hangup()
    done = desk.send("POST", f"/api/calls/{entry_id}/wrap-up",
                     {"notes": "Explained her benefit claim", "disposition": "claim_help"})
    assert done.status_code == 200
    assert s.scalars(select(Caller)).all() == []  # nothing to remember a withheld caller by

    second = phone(withheld).dial()
    assert asked_for_a_language(second)  # not greeted in the first caller's Spanish
    second.press("1").press("0")
    [row] = desk.get("/api/desk").get_json()["waiting"]
    summary = desk.get(f"/api/entries/{row['id']}").get_json()
    assert (summary["caller"], summary["history"]) == ("", [])  # nothing of the first caller
    second.press("1")  # a callback, please
    assert second.last_heard.startswith("Please key in the phone number we should call")
    assert "ending in" not in second.heard_since(0)  # no read-back of a sentinel's last digits
    s.expire_all()
    assert s.scalars(select(Caller)).all() == []
    assert s.scalars(select(Call.caller_id)).all() == [None, None]


@pytest.mark.parametrize("withheld", ["+266696687", "anonymous"])
def test_an_adviser_s_phone_shows_the_helpline_s_number_for_a_withheld_caller(app, phone, withheld):
    _, agent_id = adviser_desk(app)
    p = phone(withheld).dial().press("1").press("0")
    talk_to_the_adviser(app, p, agent_id)
    assert p.pending.tag == "Dial" and p.pending.get("callerId") == CALLER_ID  # Twilio error 13214
    [number] = list(p.pending)
    assert (number.tag, number.text) == ("Number", ADVISER_PHONE)


def test_a_caller_s_own_number_is_what_the_adviser_s_phone_shows(app, phone):
    _, agent_id = adviser_desk(app)
    p = phone("+447700900123").dial().press("1").press("0")
    talk_to_the_adviser(app, p, agent_id)
    assert p.pending.tag == "Dial" and p.pending.get("callerId") is None  # Twilio passes From on
