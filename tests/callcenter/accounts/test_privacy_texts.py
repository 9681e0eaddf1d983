"""Texts sent to a person are part of what Jobline holds about them: an access request lists
them with their calls; an erasure clears the number they went to, and with it any way to text
that caller again (a text row holds no number of its own)."""

from __future__ import annotations

import uuid

from callcenter.accounts import data_subjects
from db import session as db
from db.models import Call, Caller, TextMessage
from db.text_messages import WITHHELD, refusal
from tests.support.env import OPEN_TIME

NUMBER = "+447700900123"


def a_caller_who_got_a_text() -> int:
    with db.SessionLocal.begin() as s:
        call = Call(sid="CA" + uuid.uuid4().hex, caller=Caller(phone=NUMBER), language="fr",
                    started_at=OPEN_TIME)
        s.add(call)
        s.flush()
        s.add(TextMessage(call_id=call.id, message="offices", language="fr", status="delivered",
                          requested_at=OPEN_TIME))
        return call.id


def test_an_access_request_lists_the_texts_sent(app):
    a_caller_who_got_a_text()
    with db.SessionLocal() as s:
        held = data_subjects.export(s, data_subjects.find(s, phone=NUMBER))
    assert held["calls"][0]["text_messages"] == [
        {"message": "offices", "language": "fr", "status": "delivered", "sent_at": OPEN_TIME.isoformat()}]


def test_after_erasure_the_texts_stay_anonymous_and_no_more_can_go(app):
    call_id = a_caller_who_got_a_text()
    with db.SessionLocal.begin() as s:
        data_subjects.erase(s, data_subjects.find(s, phone=NUMBER))
    with db.SessionLocal() as s:
        call = s.get(Call, call_id)
        assert call.caller is None or call.caller.phone is None
        assert s.query(TextMessage).count() == 1  # the report's figures keep their totals
        assert refusal(s, call, OPEN_TIME, limit=3) == WITHHELD
