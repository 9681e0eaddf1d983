"""Bad input and failures get a clear answer and lose nothing: the caller always reaches a person."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from db.models import Call, CallEvent, StatusCallback
from ivr import engine
from tests.support.signing import FORM, sign


def post(client, path, form):
    return client.post(path, data=form, headers={"X-Twilio-Signature": sign(f"http://localhost{path}", form)})


def test_a_failing_step_becomes_an_apology_in_the_callers_language(phone, monkeypatch, s):
    p = phone().dial().press("2")  # Spanish
    def broken(t, node):
        raise RuntimeError("disk full")
    monkeypatch.setitem(engine.ACTIONS, "say", broken)
    p.press("3")  # vacancies: a 'say' node
    assert p.heard[-2].text == "Lo sentimos, algo ha fallado por nuestra parte."
    assert p.last_heard == "Para hablar con un asesor, pulse 0. Para dejar un mensaje, pulse 1."
    p.press("1")
    assert p.pending.tag == "Record"
    assert s.scalar(select(Call.language).where(Call.sid == p.sid)) == "es"


def test_after_an_apology_silence_or_zero_reaches_an_adviser(phone, monkeypatch):
    p = phone().dial().press("1")
    monkeypatch.setitem(engine.ACTIONS, "say", lambda t, n: 1 / 0)
    p.press("5").silence()
    assert "To be called back by an adviser, press 1." in p.last_heard  # the adviser queue's offer


def test_if_even_the_recovery_fails_the_caller_can_leave_a_message(phone, monkeypatch):
    p = phone().dial().press("1")
    monkeypatch.setitem(engine.ACTIONS, "say", lambda t, n: 1 / 0)
    monkeypatch.setitem(engine.ACTIONS, "queue", lambda t, n: 1 / 0)
    p.press("5").press("0")
    assert p.pending.tag == "Record" and "Please leave your name" in p.last_heard


def test_twilio_fallback_url_gives_the_same_apology(client):
    resp = post(client, "/ivr/fallback", dict(FORM, ErrorCode="11200", ErrorUrl="https://x/ivr/voice"))
    assert resp.status_code == 200
    assert b"Sorry, something went wrong on our side." in resp.data and b"<Gather" in resp.data


def test_duplicate_status_callbacks_count_once(client, s):
    post(client, "/ivr/voice", FORM)
    done = dict(FORM, CallStatus="completed", CallDuration="42")
    assert post(client, "/ivr/status", done).status_code == 204
    assert post(client, "/ivr/status", done).status_code == 204
    assert s.scalar(select(func.count()).select_from(StatusCallback)) == 1
    call = s.scalar(select(Call).where(Call.sid == FORM["CallSid"]))
    assert [e.detail for e in call.events if e.kind == "status"] == ["completed"]
    assert call.duration_s == 42


def test_out_of_order_callbacks_never_move_a_call_backwards(client, s):
    post(client, "/ivr/status", dict(FORM, CallStatus="completed", CallDuration="30"))
    post(client, "/ivr/status", dict(FORM, CallStatus="ringing"))
    post(client, "/ivr/status", dict(FORM, CallStatus="in-progress"))
    call = s.scalar(select(Call).where(Call.sid == FORM["CallSid"]))
    assert call.status == "completed" and call.ended_at is not None


def test_unknown_call_sids_are_stored_not_crashed_on(client, s):
    form = dict(FORM, CallSid="CA" + "f" * 32, CallStatus="no-answer")
    assert post(client, "/ivr/status", form).status_code == 204
    call = s.scalar(select(Call).where(Call.sid == "CA" + "f" * 32))
    assert call.status == "no-answer"
    assert "unknown_call" in [e.kind for e in call.events]


@pytest.mark.parametrize("digits", ["1a", "x" * 10_000, "١", "💥", "", "12", " 1 "])
def test_absurd_digits_are_a_wrong_key_not_an_error(client, digits):
    post(client, "/ivr/voice", FORM)
    post(client, "/ivr/language", dict(FORM, Digits="1"))
    resp = post(client, "/ivr/node/main/input", dict(FORM, Digits=digits))
    assert resp.status_code == 200
    said = resp.get_data(as_text=True)
    expected = "Sorry, that is not one of the choices." if digits.strip() not in {"", "1"} else None
    if digits.strip() == "":
        expected = "Sorry, we did not hear your choice."
    if expected:
        assert expected in said


def test_missing_fields_and_malformed_sids_get_an_apology_not_a_500(client, s):
    resp = post(client, "/ivr/voice", {"From": "+447700900123"})
    assert resp.status_code == 200 and b"Sorry, something went wrong" in resp.data
    assert post(client, "/ivr/status", {"CallStatus": "completed"}).status_code == 204
    assert post(client, "/ivr/status", dict(FORM, CallStatus="exploded")).status_code == 204
    assert s.scalar(select(func.count()).select_from(CallEvent)) == 0


def test_oversize_bodies_and_wrong_methods_are_refused_cleanly(client):
    huge = dict(FORM, Junk="x" * 200_000)
    assert post(client, "/ivr/voice", huge).status_code == 413
    assert client.get("/ivr/voice").status_code == 405
    assert client.put("/ivr/status").status_code == 405


def test_phone_numbers_never_appear_in_logs(phone, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    number = "+447700900456"
    p = phone(number).dial().press("1")
    monkeypatch.setitem(engine.ACTIONS, "menu", lambda t, n: 1 / 0)
    p.press("9")
    logging.getLogger("jobline.test").warning("caller %s asked twice", number)
    p.hangup()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "IVR step failed" in text and "asked twice" in text
    assert number not in text and "7700900456" not in text
