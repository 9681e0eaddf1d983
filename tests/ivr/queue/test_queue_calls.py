"""Whole calls through the queue: hold announcements, a callback that keeps its place, an adviser
who answers through the REST API (Prism), wrap-up, and the outcomes METRICS.md defines."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import select

from callcenter.routing import claims as routing
from db import session as db
from db.models import AgentStatusChange, Callback, QueueEntry, User
from tests.support.prism import form_of
from tests.support.queue import legs_of, outcome, to_queue


def every_url(p) -> list[str]:
    urls = [v for reply in p.replies for el in ET.fromstring(reply).iter() for v in el.attrib.values()]
    return urls + [el.text or "" for reply in p.replies for el in ET.fromstring(reply).iter("Redirect")]


def test_hold_announces_place_and_wait_then_a_callback_keeps_the_place(caller, adviser, clock, s):
    adviser()
    first = to_queue(caller, "+447700900111")
    assert "Thank you. Please stay on the line: you are now waiting for an adviser." in first.heard_since(-5)
    assert first.queue is not None and first.queue.text == "general"
    hold = ET.fromstring(first.replies[-1])
    assert [g.get("numDigits") for g in hold.iter("Gather")] == ["1"]
    assert [p.text for p in hold.iter("Play")] == ["/ivr/queue/static/hold.wav"]
    assert first.heard_since(-3) == ("You are next in line. The expected wait is about 5 minutes. "
                                     "To be called back instead, keeping your place in line, press 1.")

    clock.tick(20)
    second = to_queue(caller, "+447700900222")
    assert "You are number 2 in line. The expected wait is about 10 minutes." in second.heard_since(-3)

    second.press("1")  # a callback instead, keeping the place
    assert second.last_heard == ("We will call you back on the number ending in 0 2 2 2. If that is "
                                 "right, press 1. To key in another number, press 2.")
    second.press("1")
    assert second.heard_since(-2).startswith("Thank you. You keep your place in line, and an adviser "
                                             "will call you back in about 10 minutes.")
    assert second.ended
    second.hangup()
    assert outcome(s, second) == "callback"
    [leg] = legs_of(s, second)
    assert (leg.status, leg.outcome) == ("left", "callback")
    cb = s.scalar(select(Callback).where(Callback.call_id == leg.call_id))
    assert (cb.phone, cb.queue, cb.status, cb.language) == ("+447700900222", "general", "pending", "en")
    assert cb.enqueued_at == leg.enqueued_at and cb.queue_entry_id == leg.id
    assert not any("0900222" in u for u in every_url(second))  # the number never in a URL

    # The first caller is still first: Twilio follows the wait document's <Redirect>, which
    # carries what was said, so an unchanged place is not said again; the way out always is.
    first.hold()
    assert first.last_heard == "To be called back instead, keeping your place in line, press 1."
    assert "You are number" not in first.heard_since(-3)
    clock.tick(20)
    third = to_queue(caller, "+447700900333")
    assert "You are number 3 in line. The expected wait is about 15 minutes." in third.heard_since(-3)


def test_a_withheld_number_is_keyed_in_and_read_back_in_full(caller, adviser, s):
    adviser()
    p = to_queue(caller, "anonymous")
    p.press("1")
    assert p.last_heard.startswith("Please key in the phone number we should call")
    p.press("12")
    assert p.heard[-2].text == "Sorry, that is not a phone number we can call."
    p.press("07700900444#")
    assert p.last_heard.startswith("You entered 0 7 7 0, 0 9 0 0, 4 4 4.")
    p.press("1")
    assert p.ended
    cb = s.scalar(select(Callback))
    assert cb.phone == "+447700900444"


def test_an_adviser_answers_through_the_rest_api_then_wraps_up(qapp, caller, adviser, clock, twilio_http, s):
    agent_id = adviser(phone="+447700900901")
    p = to_queue(caller, "+447700900555")
    clock.tick(30)
    with qapp.app_context(), db.SessionLocal() as desk:
        agent = desk.get(User, agent_id)
        entry = routing.claim_next(desk, agent, clock())
        desk.commit()
        assert (entry.status, entry.agent_id) == ("connecting", agent_id)
        routing.connect(qapp.config, entry, agent)

    [update] = twilio_http.calls_updated()
    assert form_of(update, "Url") == f"http://localhost/ivr/queue/connect/{entry.id}"
    p.redirect(form_of(update, "Url"))
    assert p.last_heard == "An adviser is taking your call. Please hold."
    [number] = list(p.pending)
    assert (p.pending.tag, number.tag, number.text) == ("Dial", "Number", "+447700900901")
    assert p.adviser_answers() == ["Jobline call from the General enquiries queue. Press 1 to take it."]
    assert legs_of(s, p)[0].status == "connected"

    clock.tick(240)
    p.adviser_hangs_up()
    assert p.last_heard.startswith("Thank you for calling") and p.ended
    p.hangup(duration=300)
    [leg] = legs_of(s, p)
    assert (leg.status, leg.outcome, leg.agent_id) == ("ended", "answered", agent_id)
    assert s.get(User, agent_id).status == "after_call"

    clock.tick(60)
    with qapp.app_context(), db.SessionLocal() as desk:
        routing.wrap_up(desk, desk.get(QueueEntry, leg.id), desk.get(User, agent_id), "Payment date given",
                        "resolved", clock())
        desk.commit()
    s.expire_all()
    leg = s.get(QueueEntry, leg.id)
    assert (leg.disposition, leg.notes, leg.wrapped_at) == ("resolved", "Payment date given", clock())
    assert s.get(User, agent_id).status == "available"
    assert outcome(s, p) == "answered"
    changes = s.scalars(select(AgentStatusChange.status).where(AgentStatusChange.user_id == agent_id)
                        .order_by(AgentStatusChange.id)).all()
    assert changes == ["busy", "after_call", "available"]


def test_an_adviser_who_does_not_pick_up_puts_the_caller_back_in_their_place(qapp, caller, adviser,
                                                                              clock, twilio_http, s):
    agent_id = adviser()  # no phone: the browser (<Client>)
    p = to_queue(caller, "+447700900556")
    with qapp.app_context(), db.SessionLocal() as desk:
        entry = routing.claim(desk, desk.get(User, agent_id), legs_of(s, p)[0].id, clock())
        desk.commit()
        routing.connect(qapp.config, entry, desk.get(User, agent_id))
    p.redirect(form_of(twilio_http.calls_updated()[0], "Url"))
    [client] = list(p.pending)
    assert (client.tag, client.text) == ("Client", f"agent-{agent_id}")
    p.adviser_does_not_answer()
    assert "Sorry, the adviser could not take your call. You keep your place in line." in p.heard_since(-4)
    assert p.queue is not None
    [leg] = legs_of(s, p)
    assert (leg.status, leg.agent_id, leg.answered_at) == ("waiting", None, None)
    assert s.get(User, agent_id).status == "available"


def test_a_failed_redirect_leaves_the_caller_in_line_and_says_why(make_app, caller, adviser, clock, s):
    from tests.support.prism import PrismHttpClient

    broken = PrismHttpClient("http://127.0.0.1:9")  # nothing listens on the discard port
    app = make_app(TWILIO_HTTP_CLIENT=broken, PUBLIC_BASE_URL="http://localhost", CLOCK=clock)
    agent_id = adviser()
    from ivr.telephony.simulator import FlaskTransport, Phone
    from tests.support.env import ACCOUNT, TOKEN

    p = Phone(FlaskTransport(app.test_client()), TOKEN, caller="+447700900557", account=ACCOUNT)
    p.dial().press("1").press("0")
    with app.app_context(), db.SessionLocal() as desk:
        entry = routing.claim_next(desk, desk.get(User, agent_id), clock())
        desk.commit()
        try:
            routing.connect(app.config, entry, desk.get(User, agent_id))
            raised = None
        except routing.ConnectError as e:
            raised = str(e)
    assert raised and "back in line" in raised
    [leg] = legs_of(s, p)
    assert (leg.status, leg.agent_id) == ("waiting", None)
    assert s.get(User, agent_id).status == "available"


def test_callers_hear_the_queue_in_their_own_language_and_voice(caller, adviser):
    adviser(languages=["en", "es", "fr", "ko"])
    p = caller("+447700900558").dial().press("4").press("0")
    hold = p.heard[-3:]
    assert [h.text for h in hold] == ["다음 순서입니다.", "예상 대기 시간은 약 5분입니다.",
                                      "순서를 유지한 채 전화를 다시 받으시려면 1번을 누르세요."]
    assert {h.language for h in hold} == {"ko-KR"}
    spanish = caller("+447700900559").dial().press("2").press("0")
    assert spanish.heard[-3].text == "Es usted el número 2 en la cola."
