"""The menu steps' light path: state carried in Twilio's signed URLs, Core writes, and the same
call record as the ORM path would leave."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from db import session as db
from db.models import Call, CallEvent


def steps(s, sid: str) -> list[tuple[str, str | None, str | None]]:
    s.expire_all()
    call = s.scalar(select(Call).where(Call.sid == sid))
    return [(e.kind, e.node, e.detail) for e in s.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id))]


def test_a_menu_walk_is_stored_step_by_step_with_its_state(phone, s):
    p = phone("+447700900321").dial().press("1").press("2").press("1")
    assert "Benefits are paid on the tenth working day" in p.heard[-2].text
    assert steps(s, p.sid) == [
        ("start", None, None), ("language", None, "en"), ("enter", "main", None),
        ("key", "main", "2"), ("enter", "benefits", None), ("key", "benefits", "1"),
        ("enter", "benefit_dates", None), ("info", "benefit_dates", None)]
    call = s.scalar(select(Call).where(Call.sid == p.sid))
    assert (call.language, call.node, call.status) == ("en", "benefit_dates", "in-progress")
    assert call.caller.language == "en"
    assert p.hangup() == 204
    s.expire_all()
    assert s.scalar(select(Call.outcome).where(Call.sid == p.sid)) == "self_service"


def test_the_status_callback_of_a_menu_only_call_opens_no_orm_session(phone, s, monkeypatch):
    p = phone().dial().press("1").press("2").press("1")
    opened = []
    real = db.current
    monkeypatch.setattr(db, "current", lambda: opened.append(1) or real())
    assert p.hangup() == 204
    assert opened == []  # closed on the step connection alone
    s.expire_all()
    call = s.scalar(select(Call).where(Call.sid == p.sid))
    assert (call.status, call.outcome) == ("completed", "self_service") and call.ended_at is not None
    assert steps(s, p.sid)[-1] == ("status", None, "completed")


def test_the_next_menu_url_carries_the_language_and_slower_speech(phone):
    p = phone().dial().press("3").press("8")  # French, then slower speech
    query = parse_qs(urlsplit(p.pending.get("action")).query)
    assert query["lang"] == ["fr"] and query["slow"] == ["1"]


def test_a_menu_url_without_the_state_reads_it_from_the_call(phone, s):
    p = phone().dial().press("2")  # Spanish
    p.request("/ivr/node/main/input?attempt=0", Digits="9")  # an older URL, no lang in it
    assert p.last_heard.startswith("Menú principal.")
    assert steps(s, p.sid)[-1] == ("key", "main", "repeat")


def test_a_language_changed_in_a_signed_url_is_refused(phone):
    p = phone().dial().press("1")
    signed = "http://localhost/ivr/node/main/input?attempt=0&lang=en"
    params = p.params(Digits="9")
    signature = RequestValidator(p.token).compute_signature(signed, params)
    status, _ = p.transport.post(signed.replace("lang=en", "lang=es"), params, signature)
    assert status == 403


def test_a_step_connection_dropped_by_the_server_is_replaced_not_failed(phone, app, monkeypatch):
    if db.engine().dialect.name != "postgresql":
        pytest.skip("the step engine is the app's engine on SQLite")
    p = phone().dial().press("1")
    monkeypatch.setattr(db, "IDLE_PING_S", 0.0)
    with db.engine().connect() as conn:  # a restart of the server, as far as the pool can tell
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    p.press("2")
    assert p.last_heard.startswith("Unemployment benefits.")



def test_a_webhook_gets_none_of_the_desks_cookies_or_page_headers_and_still_needs_its_signature(phone, app):
    p = phone()
    params = p.params(CallStatus="ringing")
    signature = RequestValidator(p.token).compute_signature("http://localhost/ivr/voice", params)
    web = app.test_client()
    web.set_cookie("session", "a-stale-desk-cookie")  # a browser's cookie sent along changes nothing
    answered = web.post("/ivr/voice", data=params, headers={"X-Twilio-Signature": signature})
    assert answered.status_code == 200 and answered.mimetype == "text/xml"
    assert "Set-Cookie" not in answered.headers and "Content-Security-Policy" not in answered.headers
    forged = web.post("/ivr/voice", data=params, headers={"X-Twilio-Signature": "forged"})
    assert forged.status_code == 403
    page = web.get("/login")  # the desk keeps its own
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
