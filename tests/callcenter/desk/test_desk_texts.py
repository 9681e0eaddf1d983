"""The desk sends the caller one of the flow's information messages by text: chosen from a list
in the caller's language, never free text; a withheld number or one past the daily limit gets a
plain sentence instead, and the send job is queued with the row's id only."""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from db.models import TextMessage
from db.text_messages import SEND_JOB, TEXT_QUEUE
from tests.support.desk import waiting_call
from tests.support.fake_twilio import FakeTwilio

SENDER = "+441632960001"


@pytest.fixture
def app(make_app, request):
    sender = getattr(request, "param", SENDER)  # a test may ask for none: @parametrize("app", [""])
    return make_app(TWILIO_HTTP_CLIENT=FakeTwilio(), TWILIO_MESSAGING_FROM=sender, SMS_DAILY_LIMIT=2)


def on_the_line(signed_in, s, withheld=False, **caller):
    entry = waiting_call(s, **caller)
    if withheld:
        entry.call.caller = None
    s.commit()
    agent = signed_in("agent")
    agent.send("PUT", "/api/me/status", {"status": "available"})
    assert agent.send("POST", "/api/answer").status_code == 200
    return agent, entry.id


def test_the_adviser_picks_a_message_in_the_callers_language_and_it_is_sent(app, signed_in, s, redis_url):
    agent, entry_id = on_the_line(signed_in, s, language="es")
    offered = agent.get(f"/api/calls/{entry_id}/texts").get_json()
    assert offered["language"] == "es" and offered["cannot_send"] is None
    labels = {m["message"]: m["label"] for m in offered["messages"]}
    assert labels == {"register": "To register as a jobseeker",
                      "offices": "For office addresses and opening hours"}
    texts = {m["message"]: m["text"] for m in offered["messages"]}
    assert texts["offices"].startswith("Oficinas de empleo")
    sent = agent.send("POST", f"/api/calls/{entry_id}/texts", {"message": "offices"})
    assert sent.status_code == 201
    assert sent.get_json()["status"] == "requested" and sent.get_json()["sent_by"] == "adviser"
    text = s.scalars(select(TextMessage)).one()
    assert (text.message, text.language, text.sent_by) == ("offices", "es", "adviser")
    assert text.adviser_id is not None
    jobs = Queue(TEXT_QUEUE, connection=Redis.from_url(redis_url)).jobs
    [job] = [j for j in jobs if j.func_name == SEND_JOB]
    assert job.args == (text.id,)
    assert [t["message"] for t in agent.get(f"/api/calls/{entry_id}/texts").get_json()["sent"]] == ["offices"]


def test_free_text_or_an_unknown_message_is_refused_with_the_choices(app, signed_in, s):
    agent, entry_id = on_the_line(signed_in, s)
    for body in ({"message": "Come to the office tomorrow"}, {"text": "hello"}):
        refused = agent.send("POST", f"/api/calls/{entry_id}/texts", body)
        assert refused.status_code == 400
        assert refused.get_json()["error"] == "Choose a message from: register, offices."
    assert s.scalars(select(TextMessage)).all() == []


def test_a_withheld_caller_gets_no_text_and_the_adviser_reads_why(app, signed_in, s):
    agent, entry_id = on_the_line(signed_in, s, withheld=True)
    why = "The caller's number is withheld (or erased), so no text message can be sent to them"
    assert agent.get(f"/api/calls/{entry_id}/texts").get_json()["cannot_send"].startswith(why)
    refused = agent.send("POST", f"/api/calls/{entry_id}/texts", {"message": "register"})
    assert refused.status_code == 409 and refused.get_json()["error"].startswith(why)
    assert s.scalars(select(TextMessage)).all() == []


def test_past_the_daily_limit_the_adviser_reads_so(app, signed_in, s):
    agent, entry_id = on_the_line(signed_in, s)
    for message in ("register", "offices"):
        assert agent.send("POST", f"/api/calls/{entry_id}/texts", {"message": message}).status_code == 201
    refused = agent.send("POST", f"/api/calls/{entry_id}/texts", {"message": "register"})
    assert refused.status_code == 409
    assert refused.get_json()["error"].startswith("This number has had 2 text messages in the last 24 hours")
    assert len(s.scalars(select(TextMessage)).all()) == 2


@pytest.mark.parametrize("app", [""], indirect=True)
def test_without_a_sender_the_desk_says_to_tell_an_administrator(app, signed_in, s):
    agent, entry_id = on_the_line(signed_in, s)
    refused = agent.send("POST", f"/api/calls/{entry_id}/texts", {"message": "register"})
    assert refused.status_code == 503 and "TWILIO_MESSAGING_FROM" in refused.get_json()["error"]


def test_another_advisers_call_is_not_yours_to_text(app, signed_in, s):
    _, entry_id = on_the_line(signed_in, s)
    other = signed_in("supervisor")
    assert other.send("POST", f"/api/calls/{entry_id}/texts", {"message": "register"}).status_code == 404
