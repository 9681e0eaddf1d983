"""URLs Twilio fetches come from PUBLIC_BASE_URL, never from a request's Host header; what the
desk ends, it ends at Twilio too (REST, against Prism)."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.accounts.users import create_user
from db import session as db
from db.models import Call, QueueEntry
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.desk import PASSWORD, Desk, csrf_from, sign_in
from tests.support.env import ACCOUNT, TOKEN
from tests.support.prism import form_of
from tests.support.queue import desk_of

PUBLIC = "https://helpline.pes.example"


def adviser_behind_a_forged_host(app) -> Desk:
    """An adviser whose every request carries Host: attacker.example."""
    with db.SessionLocal.begin() as session:
        create_user(session, "ada", "Ada Lovell", "agent", PASSWORD, queues=["general"],
                    languages=["en"], phone="+447700900901")
    browser = app.test_client()
    browser.environ_base["HTTP_HOST"] = "attacker.example"  # every request the adviser sends
    assert sign_in(browser, "ada").status_code == 302
    desk = Desk(browser, csrf_from(browser, "/account/password"))
    assert desk.send("PUT", "/api/me/status", {"status": "available"}).status_code == 200
    return desk


def test_an_answer_with_a_forged_host_gives_twilio_the_public_url(make_app, twilio_http, clock, s):
    app = make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL=PUBLIC, CLOCK=clock)
    caller = Phone(FlaskTransport(app.test_client(), base_url=PUBLIC), TOKEN, caller="+447700900801",
                   account=ACCOUNT)
    desk = adviser_behind_a_forged_host(app)
    caller.dial().press("1").press("0")  # English, then an adviser: waiting in the general queue
    answered = desk.send("POST", "/api/answer")
    assert answered.status_code == 200, answered.get_data(as_text=True)
    [update] = twilio_http.calls_updated()
    entry = s.scalar(select(QueueEntry))
    assert form_of(update, "Url") == f"{PUBLIC}/ivr/queue/connect/{entry.id}"
    caller.redirect(form_of(update, "Url"))  # and Twilio, fetching it there, puts the caller through
    assert caller.last_heard == "An adviser is taking your call. Please hold."


def test_without_public_base_url_a_forged_host_never_reaches_twilio(make_app, twilio_http, clock, s, caplog):
    # Development is the only place PUBLIC_BASE_URL may be missing (production refuses to boot).
    app = make_app(ENV_NAME="development", TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL="",
                   CLOCK=clock)
    caller = Phone(FlaskTransport(app.test_client()), TOKEN, caller="+447700900804", account=ACCOUNT)
    desk = adviser_behind_a_forged_host(app)
    caller.dial().press("1").press("0")
    answered = desk.send("POST", "/api/answer")
    # The adviser reads what happened in plain words; the log names the setting for whoever fixes it.
    assert answered.status_code == 503 and "Tell an administrator" in answered.get_json()["error"]
    assert "PUBLIC_BASE_URL" not in answered.get_json()["error"]
    assert "PUBLIC_BASE_URL is not set" in caplog.text
    assert twilio_http.sent == []  # Twilio was never told to fetch anything from attacker.example
    s.expire_all()
    assert [(e.status, e.agent_id) for e in s.scalars(select(QueueEntry))] == [("waiting", None)]


def test_done_while_talking_hangs_up_the_call_at_twilio(qapp, caller, clock, twilio_http, s):
    desk = desk_of(qapp, "bea")
    p = caller("+447700900802").dial().press("1").press("0")
    entry_id = desk.send("POST", "/api/answer").get_json()["current"]["id"]
    p.redirect(form_of(twilio_http.calls_updated()[-1], "Url"))
    p.adviser_answers()
    clock.tick(120)
    before = len(twilio_http.sent)
    done = desk.send("POST", f"/api/calls/{entry_id}/wrap-up", {"disposition": "resolved"})
    assert done.status_code == 200 and done.get_json()["current"] is None
    [(method, path, form)] = twilio_http.sent[before:]
    assert (method, path.rsplit("/", 1)[-1], form) == ("POST", f"{p.sid}.json", {"Status": ["completed"]})
    s.expire_all()
    leg = s.get(QueueEntry, entry_id)
    assert (leg.status, leg.outcome, leg.disposition) == ("ended", "answered", "resolved")
    assert s.scalar(select(Call.sid).where(Call.id == leg.call_id)) == p.sid


def test_ending_the_conversation_on_the_desk_hangs_up_at_twilio(qapp, caller, twilio_http):
    desk = desk_of(qapp, "cy")
    p = caller("+447700900803").dial().press("1").press("0")
    entry_id = desk.send("POST", "/api/answer").get_json()["current"]["id"]
    p.redirect(form_of(twilio_http.calls_updated()[-1], "Url"))
    p.adviser_answers()
    before = len(twilio_http.sent)
    assert desk.send("POST", f"/api/calls/{entry_id}/end").status_code == 200
    assert [(m, form) for m, _, form in twilio_http.sent[before:]] == [("POST", {"Status": ["completed"]})]
    assert desk.send("POST", f"/api/calls/{entry_id}/end").status_code == 200  # again: nothing more
    assert len(twilio_http.sent) == before + 1
