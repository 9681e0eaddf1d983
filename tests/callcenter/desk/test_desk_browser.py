"""The desk in Chromium, as an adviser uses it: a caller appears without reloading, with their
details; answer, write notes, choose a disposition, Done, available again. Screenshots go to
/tmp (JOBLINE_SCREENSHOTS to change) for a person to look at."""

from __future__ import annotations

import math
import struct
import wave
from datetime import timedelta
from pathlib import Path

import pytest

from db import session as db
from db.models import Callback, QueueEntry, User, utcnow
from tests.support.browser import SHOTS, sign_in_on
from tests.support.desk import PASSWORD, waiting_call

pytestmark = pytest.mark.browser
def _tone(path: Path) -> None:
    with wave.open(str(path), "wb") as w:  # half a second of 440 Hz, 8 kHz mono like a phone line
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8000 * 2 * math.pi * 440)))
                               for i in range(4000)))


def test_an_adviser_takes_a_call_from_the_desk(live, page, accounts, tmp_path):
    base, fake = live
    audio = tmp_path / "name.wav"
    _tone(audio)
    now = utcnow()
    with db.SessionLocal() as s:
        old = waiting_call(s, phone="+447700900123", waited_s=3 * 86400, now=now, reason="payment late")
        old.status, old.disposition, old.agent_id = "ended", "claim_help", accounts["agent"].id
        old.wrapped_at = old.ended_at = old.answered_at = now - timedelta(days=3)
        old.notes = "Explained the payment calendar; will call back if not paid by Friday."
        waiting_call(s, phone="+447700900456", queue="general", waited_s=20, now=now, name="John Smith",
                     reason="I want to update my CV on the website", intent="registration")
        waiting_call(s, phone="+447700900789", queue="benefits", language="es", waited_s=8, now=now,
                     name="Lucía Fernández", reason="no he recibido el pago", intent="benefit_payment")
        s.commit()

    sign_in_on(page, base, "agent1")
    page.click("button.status[data-status=available]")
    page.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
    page.wait_for_selector("#rows tr")
    assert page.locator("#rows tr").count() == 2

    # A new caller joins the queue: on screen within two seconds, without reloading.
    with db.SessionLocal() as s:
        entry = waiting_call(s, phone="+447700900123", waited_s=70, now=utcnow(), audio_path=str(audio))
        s.commit()
        entry_id = entry.id
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]', timeout=2500)
    first = page.locator("#rows tr").first
    assert first.get_attribute("data-id") == str(entry_id)  # the longest wait is next
    assert "Maria Lopez" in first.inner_text() and "••••••74" in first.inner_text()
    page.wait_for_selector("#summary ol.path li")
    summary = page.locator("#summary").text_content()
    assert "Maria Lopez" in summary and "Previous contacts (1)" in summary
    assert "Helped with a benefit claim" in summary and "12345674" not in summary
    assert page.locator("#summary button.play").count() == 1
    page.screenshot(path=str(SHOTS / "desk-waiting.png"))

    page.keyboard.press("a")  # answer the next caller
    page.wait_for_selector(".oncall")
    assert len(fake.requests) == 1
    page.keyboard.press("n")
    page.keyboard.type("Payment delayed by bank holiday; confirmed it goes out tomorrow.")
    page.keyboard.press("Escape")
    page.keyboard.press("4")  # Helped with a benefit claim
    page.click("#id-value + button, .facts button.link")
    page.wait_for_function("() => document.getElementById('id-value').textContent === '12345674'")
    page.screenshot(path=str(SHOTS / "desk-on-call.png"))

    page.keyboard.press("e")  # the conversation is over: after-call work, the notes stay
    page.wait_for_selector(".oncall.acw")
    assert page.input_value("#notes").startswith("Payment delayed")
    page.screenshot(path=str(SHOTS / "desk-after-call-work.png"))

    page.keyboard.press("d")  # Done
    page.wait_for_selector(".toast.good")
    page.wait_for_function("() => !document.querySelector('.oncall')")
    assert page.get_attribute("button.status[data-status=available]", "aria-pressed") == "true"
    with db.SessionLocal() as s:
        done = s.get(QueueEntry, entry_id)
        assert done.disposition == "claim_help" and done.status == "ended"
        assert done.notes.startswith("Payment delayed")
        assert done.wrapped_at - done.answered_at < timedelta(minutes=1)
    page.screenshot(path=str(SHOTS / "desk-after.png"))


def test_an_adviser_on_a_callback_sees_the_caller_then_wraps_it_up(live, page, accounts):
    base, _ = live
    agent_id = accounts["agent"].id
    with db.SessionLocal() as s:  # Jobline called Maria back; she pressed 1 and is talking to agent1
        leg = waiting_call(s, phone="+447700900123", waited_s=300, now=utcnow(), reason="payment late")
        leg.status, leg.outcome, leg.left_at = "callback", "callback", utcnow()
        s.add(Callback(call_id=leg.call_id, queue_entry_id=leg.id, queue=leg.queue, phone="+447700900123",
                       status="connected", attempts=1, agent_id=agent_id, language="en",
                       requested_at=utcnow() - timedelta(minutes=20), connected_at=utcnow()))
        s.get(User, agent_id).status = "busy"
        s.commit()
        callback_id = s.query(Callback).one().id

    sign_in_on(page, base, "agent1")
    page.wait_for_selector(".oncall.talking")
    assert "On a callback" in page.locator(".oncall").inner_text()
    page.wait_for_selector("#summary ol.path li")
    facts = page.locator("#summary").text_content()
    assert "Maria Lopez" in facts and "payment late" in facts and "12345674" not in facts
    assert page.locator("#transfer").count() == 0  # a callback is not moved between queues
    page.click(".facts button.link")  # talking to her: the full ID may be shown
    page.wait_for_function("() => document.getElementById('id-value').textContent === '12345674'")
    page.keyboard.press("n")
    page.keyboard.type("Called back: payment released today.")
    page.keyboard.press("Escape")

    with db.SessionLocal() as s:  # she hangs up: Twilio's <Dial> action completes the callback
        cb = s.get(Callback, callback_id)
        cb.status, cb.completed_at = "completed", utcnow()
        s.get(User, agent_id).status = "after_call"
        s.commit()
    page.wait_for_selector(".oncall.acw")
    assert page.input_value("#notes").startswith("Called back")
    page.screenshot(path=str(SHOTS / "desk-callback-after-call-work.png"))
    page.keyboard.press("1")  # Resolved on the call
    page.keyboard.press("d")
    page.wait_for_selector(".toast.good")
    page.wait_for_function("() => !document.querySelector('.oncall')")
    assert page.get_attribute("button.status[data-status=available]", "aria-pressed") == "true"
    with db.SessionLocal() as s:
        cb = s.get(Callback, callback_id)
        assert (cb.disposition, cb.notes) == ("resolved", "Called back: payment released today.")
        assert cb.wrapped_at is not None and s.get(User, agent_id).status == "available"


def test_a_supervisor_tries_a_failed_callback_again_from_the_desk(live, page, accounts):
    base, _ = live
    with db.SessionLocal() as s:  # Jobline tried three times and reached no one
        leg = waiting_call(s, phone="+447700900123", waited_s=300, now=utcnow())
        leg.status, leg.outcome, leg.left_at = "callback", "callback", utcnow()
        s.add(Callback(call_id=leg.call_id, queue_entry_id=leg.id, queue=leg.queue, phone="+447700900123",
                       status="failed", attempts=3, language="en", requested_at=utcnow() - timedelta(hours=2),
                       last_attempt_at=utcnow() - timedelta(minutes=10)))
        s.commit()
        callback_id = s.query(Callback).one().id

    sign_in_on(page, base, "supervisor1")
    page.wait_for_function("() => document.getElementById('count-callbacks').textContent === '1'")
    page.keyboard.press("c")  # the callbacks tab
    page.wait_for_selector(f'#rows tr[data-id="{callback_id}"] .chip.failed')
    page.click(f'#rows tr[data-id="{callback_id}"]')
    assert "tried 3 times and reached no one" in page.locator("#summary").text_content()
    page.click("#retry")
    page.wait_for_selector(".toast.good")
    page.wait_for_selector(f'#rows tr[data-id="{callback_id}"] .wait')  # in line again, its wait shown
    with db.SessionLocal() as s:
        cb = s.get(Callback, callback_id)
        assert (cb.status, cb.attempts) == ("pending", 0)


def test_an_adviser_without_a_phone_gets_the_browser_phone(live, page, s):
    """The vendored Voice SDK loads from this server and reports its state; this machine cannot
    reach Twilio, so it must say the phone is unavailable rather than fail silently."""
    from callcenter.accounts.users import create_user

    base, _ = live
    create_user(s, "web.adviser", "Web Adviser", "agent", PASSWORD, queues=["general"])
    s.commit()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_on(page, base, "web.adviser")
    page.wait_for_function("() => window.Twilio && window.Twilio.Device && window.joblinePhone")
    page.wait_for_selector("#phone-state.bad")
    assert "not set up" in page.inner_text("#phone-state")  # no API key in this app's config
    assert errors == []


def test_an_admin_creates_an_account_in_the_browser(live, page, accounts):
    base, _ = live
    sign_in_on(page, base, "admin1", lands="/admin/users")
    page.fill("form[action$='/admin/users'] input[name=name]", "Ana Diaz")
    page.fill("form[action$='/admin/users'] input[name=username]", "ana.diaz")
    page.check("form[action$='/admin/users'] input[name=queues][value=benefits]")
    page.check("form[action$='/admin/users'] input[name=languages][value=es]")
    page.fill("form[action$='/admin/users'] input[name=phone]", "+34600000001")
    page.click("form[action$='/admin/users'] button[type=submit]")
    page.wait_for_selector(".otp-value")
    assert "ana.diaz" in page.inner_text("table.list")
    page.screenshot(path=str(SHOTS / "admin-users.png"))
