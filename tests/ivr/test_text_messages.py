"""Information by text message, as a caller meets it: after the office hours, "press 1 to get
this by text message"; the key stores the text and queues its send job (the id only), the
caller hears it is on its way and the call goes on. Withheld numbers are never offered it, a
number over the daily limit hears so, and without a sender nothing is offered."""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from db.models import Call, TextMessage
from db.states import TextStatus
from db.text_messages import SEND_JOB, TEXT_QUEUE

SENDER = "+441632960001"
OFFER = "To get this information by text message, press 1."
ON_ITS_WAY = "We are sending it by text message to the phone you are calling from."


@pytest.fixture
def tapp(make_app):
    return make_app(TWILIO_MESSAGING_FROM=SENDER, SMS_DAILY_LIMIT=2)


def at_offices(tapp, phone, number="+447700900123"):
    """A caller in English who chose office addresses and hours (main menu, 5)."""
    return phone(number, on=tapp).dial().press("1").press("5")


def choice(p) -> str:
    """What the caller heard after the last message: the offer (if any) and the short choice."""
    return " ".join(h.text for h in p.heard[-2:])


def queued_jobs(redis_url):
    return Queue(TEXT_QUEUE, connection=Redis.from_url(redis_url)).jobs


def test_the_caller_is_offered_the_text_after_the_message_and_gets_it(tapp, phone, s, redis_url):
    p = at_offices(tapp, phone)
    assert "Our employment offices are open Monday to Friday" in p.heard_since(0)
    assert OFFER in choice(p)
    heard = len(p.heard)
    p.press("1")
    assert ON_ITS_WAY in p.heard_since(heard)
    assert "To hear this again, press 9." in p.last_heard  # the call goes on
    assert OFFER not in choice(p)  # ... without the offer again at once
    text = s.scalars(select(TextMessage)).one()
    assert (text.message, text.language, text.status) == ("offices", "en", "requested")
    assert text.sent_by == "caller"
    call = s.get(Call, text.call_id)
    assert call.caller.phone == "+447700900123"
    [job] = queued_jobs(redis_url)
    assert job.func_name == SEND_JOB and job.args == (text.id,)  # the id only: no number, no text
    assert "+44" not in job.description


def test_in_another_language_the_text_is_in_that_language(tapp, phone, s):
    p = phone("+447700900124", on=tapp).dial().press("2").press("5")
    assert "Para recibir esta información por SMS, pulse 1." in choice(p)
    p.press("1")
    assert s.scalars(select(TextMessage.language)).one() == "es"


def test_a_message_without_a_text_offers_none(tapp, phone, s):
    p = phone("+447700900125", on=tapp).dial().press("1").press("3")  # job vacancies: no sms
    assert "Job fairs are held" in p.heard_since(0)
    assert "text message" not in choice(p)
    heard = len(p.heard)
    p.press("1")
    assert "Sorry, that is not one of the choices." in p.heard_since(heard)
    assert s.scalars(select(TextMessage)).all() == []


@pytest.mark.parametrize("withheld", ["+266696687", "anonymous"])
def test_a_withheld_number_is_never_offered_a_text(tapp, phone, s, withheld, redis_url):
    p = at_offices(tapp, phone, withheld)
    assert "Our employment offices are open" in p.heard_since(0)
    assert "text message" not in choice(p)
    heard = len(p.heard)
    p.press("1")  # pressed anyway
    assert "we cannot send a text message because your number is withheld" in p.heard_since(heard)
    assert "To hear this again, press 9." in p.last_heard
    assert s.scalars(select(TextMessage)).all() == []
    assert queued_jobs(redis_url) == []


def test_past_the_daily_limit_the_caller_hears_so_and_nothing_is_sent(tapp, phone, s, redis_url):
    first = at_offices(tapp, phone).press("1")
    first.press("1")  # the second text of the day (the offer is not repeated, the key still works)
    third = at_offices(tapp, phone)
    assert OFFER in choice(third)
    heard = len(third.heard)
    third.press("1")
    assert "we have already sent today's text messages to this number" in third.heard_since(heard)
    assert len(s.scalars(select(TextMessage)).all()) == 2
    assert len(queued_jobs(redis_url)) == 2
    other = at_offices(tapp, phone, "+447700900999").press("1")  # another number has its own limit
    assert ON_ITS_WAY in other.heard_since(0)


def test_a_failed_send_does_not_count_toward_the_limit(tapp, phone, s):
    at_offices(tapp, phone).press("1").press("1")
    with s.begin():
        for text in s.scalars(select(TextMessage)):
            text.status = TextStatus.FAILED
    again = at_offices(tapp, phone).press("1")
    assert ON_ITS_WAY in again.heard_since(0)


def test_without_a_sender_no_text_is_offered(app, phone, s):
    p = phone("+447700900123").dial().press("1").press("5")
    assert "text message" not in choice(p)
    heard = len(p.heard)
    p.press("1")
    assert "Sorry, that is not one of the choices." in p.heard_since(heard)
    assert s.scalars(select(TextMessage)).all() == []
