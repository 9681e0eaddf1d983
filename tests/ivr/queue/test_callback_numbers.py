"""Callbacks cannot be turned into toll fraud, and ring from the helpline's own local number:
numbers abroad or in premium ranges are refused with the reason spoken, a number gets at most
CALLBACK_MAX_PENDING_PER_NUMBER waiting callbacks, the keypad takes the longest number there is,
and without TWILIO_CALLER_ID (or with a toll-free one) nobody is promised a callback."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from db import session as db
from db.models import Call, Callback, CallEvent, User
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import ACCOUNT, TOKEN
from tests.support.prism import form_of
from tests.support.queue import created_calls, dial, to_queue

LOCAL_CALLER_ID = "+442079460000"  # a London number of the account (not the 0800 callers ring)
KEY_IN = "Please key in the phone number we should call, with its area code, then press the hash key."
ABROAD = "Sorry, we can only call you back on a number in this country."
COSTLY = ("Sorry, we cannot call premium rate or special rate numbers. "
          "Please give a landline or mobile number.")
TOO_MANY = "Sorry, callbacks are already booked for this number, so we cannot book another one for it."


def phone_on(app, number: str) -> Phone:
    return Phone(FlaskTransport(app.test_client()), TOKEN, caller=number, account=ACCOUNT)


def callback_gather(p: Phone) -> ET.Element:
    [gather] = ET.fromstring(p.replies[-1]).iter("Gather")
    return gather


def booked_phones(s) -> list[str]:
    s.expire_all()
    return list(s.scalars(select(Callback.phone).order_by(Callback.id)))


def test_a_callback_rings_from_twilio_caller_id(make_app, twilio_http, clock, adviser, s):
    app = make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL="http://localhost", CLOCK=clock,
                   TWILIO_CALLER_ID=LOCAL_CALLER_ID)
    adviser()
    p = to_queue(lambda number: phone_on(app, number), "+447700900701")
    p.press("1").press("1")
    assert p.ended
    [cb_id] = dial(app, clock)
    [create] = created_calls(twilio_http)
    assert (form_of(create, "From"), form_of(create, "To")) == (LOCAL_CALLER_ID, "+447700900701")
    assert s.get(Callback, cb_id).status == "dialing"


def test_without_twilio_caller_id_no_callback_is_offered_and_healthz_and_the_desk_say_why(
        make_app, qapp, caller, twilio_http, clock, adviser, signed_in_adviser, s):
    adviser()
    booked = to_queue(caller, "+447700900701")  # booked while a caller ID was configured
    booked.press("1").press("1")
    app = make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL="http://localhost", CLOCK=clock,
                   TWILIO_CALLER_ID="")
    assert dial(app, clock) == [] and created_calls(twilio_http) == []  # never from the 0800 dialled
    held = to_queue(lambda number: phone_on(app, number), "+447700900702")
    assert held.heard_since(-2) == "You are number 2 in line. The expected wait is about 10 minutes."
    held.press("1")  # nothing was offered: the key does not take the caller out of the line
    assert held.queue is not None and held.heard_since(-2).startswith("You are number 2 in line.")
    assert s.scalars(select(CallEvent.detail).join(Call).where(
        Call.sid == held.sid, CallEvent.kind == "queue_leave")).all() == []

    for row in s.scalars(select(User)):  # nobody on duty now: a message at once, not a callback
        row.status = "offline"
    s.commit()
    p = phone_on(app, "+447700900703").dial().press("1").press("0")
    assert "No adviser for this service is available at the moment." in p.heard_since(0)
    assert "called back" not in p.heard_since(0) and p.pending.tag == "Record"
    assert booked_phones(s) == ["+447700900701"]  # only the one booked before

    health = app.test_client().get("/healthz")
    assert health.status_code == 200  # calls still work; callbacks do not
    assert health.get_json()["callbacks"] == {"ok": False, "offered": False}  # the why: supervisors'
    assert signed_in_adviser(app, "supervisor").get("/healthz").get_json()["callbacks"]["reason"] == (
        "TWILIO_CALLER_ID is not set, so callers are not offered callbacks: set it to a "
        "local or national number of the Twilio account.")
    desk = signed_in_adviser(app).get("/desk").get_data(as_text=True)
    assert "TWILIO_CALLER_ID is not set, so callers are not offered callbacks" in desk


@pytest.mark.parametrize("toll_free", ["+18005550100", "+18885550100", "+448001234567", "+448081570000"])
def test_a_toll_free_twilio_caller_id_stops_the_boot_naming_it(make_app, toll_free):
    from config.settings import ConfigError

    with pytest.raises(ConfigError, match=r"^TWILIO_CALLER_ID is a toll-free number; Twilio advises against"):
        make_app(TWILIO_CALLER_ID=toll_free)


@pytest.mark.parametrize(("setting", "value"), [
    ("TWILIO_CALLER_ID", "anonymous"), ("CALLBACK_COUNTRY_CODE", "+44"),
    ("CALLBACK_ALLOWED_PREFIXES", "44,+353"), ("CALLBACK_MAX_PENDING_PER_NUMBER", 0)])
def test_a_wrong_number_setting_stops_the_boot_naming_it(make_app, setting, value):
    from config.settings import ConfigError

    with pytest.raises(ConfigError, match=f"^{setting}"):
        make_app(**{setting: value})


def test_a_premium_and_an_international_number_are_refused_with_the_reason(caller, adviser, s):
    adviser()
    p = to_queue(caller, "anonymous")
    p.press("1")
    assert p.last_heard == KEY_IN
    p.press("09098790000#")  # UK premium rate
    assert (p.heard[-2].text, p.last_heard) == (COSTLY, KEY_IN)
    p.press("0033612345678#")  # a French mobile
    assert (p.heard[-2].text, p.last_heard) == (ABROAD, KEY_IN)
    p.press("07700900444#")
    assert p.last_heard.startswith("You entered 0 7 7 0, 0 9 0 0, 4 4 4.")
    p.press("1")
    assert p.ended and booked_phones(s) == ["+447700900444"]


def test_a_caller_id_abroad_is_not_read_back_the_caller_keys_a_number_in(caller, adviser, s):
    adviser()
    p = to_queue(caller, "+33612345678")
    p.press("1")
    assert (p.heard[-2].text, p.last_heard) == (ABROAD, KEY_IN)
    assert "ending in" not in p.heard_since(0)


def test_a_third_pending_callback_for_one_number_is_refused(caller, adviser, s):
    adviser()
    for _ in range(2):  # CALLBACK_MAX_PENDING_PER_NUMBER is 2 by default
        p = to_queue(caller, "+447700900705")
        p.press("1").press("1")
        assert p.ended
        p.hangup()
    third = to_queue(caller, "+447700900705")
    third.press("1")
    assert (third.heard[-2].text, third.last_heard) == (TOO_MANY, KEY_IN)
    third.press("07700900705#")  # keyed in, the same number is refused too
    assert (third.heard[-2].text, third.last_heard) == (TOO_MANY, KEY_IN)
    assert booked_phones(s) == ["+447700900705", "+447700900705"]


def test_a_full_length_international_number_within_an_allowed_prefix_is_accepted(make_app, clock, adviser, s):
    app = make_app(CLOCK=clock, CALLBACK_ALLOWED_PREFIXES=("+44", "+49"))
    adviser()
    p = to_queue(lambda number: phone_on(app, number), "anonymous")
    p.press("1")
    assert callback_gather(p).get("numDigits") == "17"  # 00 and the fifteen digits E.164 allows
    p.press("00" + "491511234567890")  # seventeen keys: the gather ends itself, no # needed
    assert p.last_heard.startswith("You entered 0 0 4 9, 1 5 1 1, 2 3 4 5, 6 7 8 9, 0.")
    p.press("1")
    assert p.ended and booked_phones(s) == ["+491511234567890"]


def test_a_callback_booked_to_a_refused_number_is_never_rung(qapp, caller, adviser, clock, twilio_http, s):
    adviser()
    p = to_queue(caller, "+447700900706")
    p.press("1").press("1")
    with db.SessionLocal.begin() as rows:  # booked before the rules, to a French number
        rows.scalars(select(Callback)).one().phone = "+33612345678"
    assert dial(qapp, clock) == [] and created_calls(twilio_http) == []


@pytest.fixture
def signed_in_adviser():
    from callcenter.accounts.users import create_user
    from tests.support.desk import PASSWORD, csrf_from, sign_in

    def open_desk(app, role: str = "agent"):
        with db.SessionLocal.begin() as s:
            create_user(s, f"desk.{role}", "Dee Skinner", role, PASSWORD, queues=["general"],
                        languages=["en"])
        client = app.test_client()
        assert sign_in(client, f"desk.{role}").status_code == 302
        csrf_from(client, "/account/password")
        return client

    return open_desk
