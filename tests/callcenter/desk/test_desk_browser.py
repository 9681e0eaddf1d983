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

from callcenter.desk.state import ON_CALL
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

    # Answer the next caller: the claim itself reaches the desk at once (pushed), the answer once
    # the call is put through.
    with page.expect_response("**/api/answer"):
        page.keyboard.press("a")
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


def _callback_asked(s, phone: str, name: str) -> int:
    """A caller who waited, then pressed 1 to be called back: a pending callback, not yet dialled."""
    leg = waiting_call(s, phone=phone, name=name, waited_s=300, now=utcnow())
    leg.status, leg.outcome, leg.left_at = "callback", "callback", utcnow()
    cb = Callback(call_id=leg.call_id, queue_entry_id=leg.id, queue=leg.queue, phone=phone, status="pending",
                  attempts=0, language="en", requested_at=utcnow() - timedelta(minutes=20))
    s.add(cb)
    s.flush()
    return cb.id


def test_callback_rows_open_from_the_keyboard(live, page, accounts):
    base, _ = live
    with db.SessionLocal() as s:
        first = _callback_asked(s, "+447700900123", "Maria Lopez")
        second = _callback_asked(s, "+447700900456", "John Smith")
        s.commit()

    sign_in_on(page, base, "agent1")
    page.wait_for_function("() => document.getElementById('count-callbacks').textContent === '2'")
    page.click("#tab-callbacks")
    page.wait_for_selector(f'#rows tr[data-id="{first}"]')
    page.keyboard.press("Tab")  # from the tab into the list: its first row
    assert page.evaluate("document.activeElement.dataset.id") == str(first)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#summary[data-for="cb-{first}"]')
    assert "Jobline calls this person back" in page.locator("#summary").text_content()
    assert "Maria Lopez" in page.locator("#summary").text_content()
    page.keyboard.press("ArrowDown")  # the next row, focused and open
    page.wait_for_selector(f'#summary[data-for="cb-{second}"]')
    assert page.evaluate("document.activeElement.dataset.id") == str(second)
    assert "John Smith" in page.locator("#summary .caller-name").text_content()
    page.keyboard.press("ArrowUp")
    page.keyboard.press(" ")
    page.wait_for_selector(f'#summary[data-for="cb-{first}"]')
    assert page.get_attribute(f'#rows tr[data-id="{first}"]', "aria-selected") == "true"


def _count_fetches(page) -> None:
    """Note every request the desk's script starts, as it starts it (not when it is answered)."""
    page.evaluate("""() => { window.fetched = []; const f = window.fetch;
        window.fetch = (url, opts) => { window.fetched.push(String(url)); return f(url, opts); }; }""")


def test_single_key_shortcuts_can_be_turned_off(live, page, accounts):
    base, fake = live
    with db.SessionLocal() as s:
        entry_id = waiting_call(s, waited_s=30, now=utcnow()).id
        s.commit()

    sign_in_on(page, base, "agent1")
    page.click("button.status[data-status=available]")
    page.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
    page.wait_for_selector("#summary ol.path li")  # the path reads as words, not node names
    steps = [li.strip() for li in page.locator("#summary ol.path li").all_text_contents()]
    assert steps[0] == "Main menu" and steps[-1] == "Queue: Benefits"
    assert "Asked for an adviser" in steps[2] and not {"main", "benefits", "adviser"} & set(steps)

    page.click("#keys-open")
    page.uncheck("#help #shortcuts")
    page.click("#help button.primary")  # Close
    page.wait_for_selector("body.keys-off")
    assert page.locator("#keys-off").is_visible()
    _count_fetches(page)
    page.keyboard.press("a")
    page.keyboard.press("Shift+B")
    assert [url for url in page.evaluate("window.fetched") if "/api/desk" not in url] == []  # polls only
    assert page.locator(".oncall").count() == 0 and len(fake.requests) == 0
    assert page.get_attribute("button.status[data-status=available]", "aria-pressed") == "true"

    page.reload()  # remembered in this browser
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
    assert "keys-off" in page.get_attribute("body", "class")
    page.click("#keys-open")
    assert not page.is_checked("#help #shortcuts")
    page.check("#help #shortcuts")
    page.click("#help button.primary")
    page.wait_for_selector("body:not(.keys-off)")
    page.keyboard.press("a")  # on again: A answers
    page.wait_for_selector(".oncall")
    with db.SessionLocal() as s:
        assert s.get(QueueEntry, entry_id).agent_id == accounts["agent"].id


def test_done_while_the_caller_talks_asks_before_hanging_up(live, page, accounts):
    base, fake = live
    with db.SessionLocal() as s:
        entry_id = waiting_call(s, waited_s=30, now=utcnow()).id
        waiting_call(s, phone="+447700900456", queue="general", waited_s=5, now=utcnow(), name="John Smith")
        s.commit()

    sign_in_on(page, base, "agent1")
    page.click("button.status[data-status=available]")
    page.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"].next')
    page.keyboard.press("a")
    page.wait_for_selector(".oncall.talking")
    # The list narrows beside the call: its chips still show their whole label.
    cut = page.evaluate("""() => [...document.querySelectorAll('#rows .chip')]
        .filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent)""")
    assert cut == []
    dialled = len(fake.requests)
    page.keyboard.press("4")
    page.keyboard.press("d")  # the caller is still talking: the desk asks first
    page.wait_for_selector("#hang-up[open]")
    assert "still on the line" in page.inner_text("#hang-up")
    page.keyboard.press("Enter")  # its default: keep talking
    page.wait_for_selector("#hang-up:not([open])", state="attached")
    assert page.locator(".oncall.talking").count() == 1
    with db.SessionLocal() as s:
        entry = s.get(QueueEntry, entry_id)
        assert entry.status in ON_CALL and entry.wrapped_at is None
    assert len(fake.requests) == dialled  # nothing was hung up at Twilio

    page.keyboard.press("n")
    page.keyboard.type("Explained the payment date.")
    page.keyboard.press("Control+Enter")  # Done from the notes asks too
    page.wait_for_selector("#hang-up[open]")
    page.click("#hang-up-confirm")
    page.wait_for_selector(".toast.good")
    with db.SessionLocal() as s:
        entry = s.get(QueueEntry, entry_id)
        assert entry.wrapped_at is not None and entry.disposition == "claim_help"
        assert entry.notes == "Explained the payment date."
    assert len(fake.requests) == dialled + 1  # the caller's line ended at Twilio


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
