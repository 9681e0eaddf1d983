"""A helpdesk in the middle of a day, for checking pages as people meet them: a week of demo calls
(figures for every report), callers waiting, an adviser talking to one, another wrapping one up, a
callback that reached no one; and, for each page state, what a person does in the browser to
reach it (each function takes a playwright page and the site's base URL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from callcenter.accounts.users import create_user
from callcenter.demo.seed import seed_demo
from config import settings
from db import session as db
from db.models import Callback, User, utcnow
from tests.support.desk import PASSWORD, waiting_call

# Who signs in for each role the checks use (the desk's states need one adviser each).
USERS = {"agent": "agent1", "busy agent": "agent2", "wrapping agent": "agent3", "supervisor": "super1",
         "admin": "admin1"}
WAITING_PHONE = "+447700900123"
Visit = Callable[[Any, str], None]


def seed_busy_day() -> None:
    now = utcnow()
    seed_demo(db.SessionLocal, days=7, calls=400, seed=5, now=now)
    with db.SessionLocal() as s:
        people = {}
        for role, username in USERS.items():
            people[role], _ = create_user(s, username, f"Test {role.title()}", role.split()[-1], PASSWORD,
                                          queues=["general", "benefits"] if "agent" in role else [],
                                          languages=["en", "es"], phone="+447700900999")
        waiting_call(s, phone=WAITING_PHONE, waited_s=70, now=now)
        waiting_call(s, phone="+447700900789", language="es", waited_s=8, now=now,
                     name="Lucía Fernández", reason="no he recibido el pago")
        for i in range(30):  # a queue longer than the screen: the list scrolls
            waiting_call(s, phone=f"+4477009002{i:02d}", queue="general", waited_s=5 + i, now=now,
                         name=None, reason=None)
        talking = waiting_call(s, phone="+447700900456", queue="general", waited_s=200, now=now,
                               name="John Smith", reason="I want to update my CV", intent="registration")
        s.flush()
        talking.status, talking.agent_id = "connected", people["busy agent"].id
        talking.answered_at = now - timedelta(minutes=2)
        s.get(User, people["busy agent"].id).status = "busy"
        done = waiting_call(s, phone="+447700900321", queue="general", waited_s=400, now=now)
        done.status, done.agent_id, done.outcome = "ended", people["wrapping agent"].id, "answered"
        done.answered_at, done.ended_at = now - timedelta(minutes=5), now - timedelta(minutes=1)
        s.get(User, people["wrapping agent"].id).status = "after_call"
        gave_up = waiting_call(s, phone="+447700900654", waited_s=300, now=now - timedelta(hours=2))
        gave_up.status, gave_up.outcome, gave_up.left_at = "callback", "callback", now - timedelta(hours=2)
        s.add(Callback(call_id=gave_up.call_id, queue_entry_id=gave_up.id, queue=gave_up.queue,
                       phone="+447700900654", status="failed", attempts=3, language="en",
                       requested_at=now - timedelta(hours=2), last_attempt_at=now - timedelta(minutes=10)))
        s.commit()


def opened(path: str, ready: str = "main") -> Visit:
    """Open the page and wait until `ready` shows."""
    def visit(tab: Any, base: str) -> None:
        tab.goto(base + path)
        tab.wait_for_selector(ready)

    return visit


def sign_in_refused(tab: Any, base: str) -> None:
    tab.goto(base + "/login")
    tab.fill("input[name=username]", USERS["agent"])
    tab.fill("input[name=password]", "not the password")
    tab.click("button[type=submit]")
    tab.wait_for_selector(".error[role=alert]")


def password_refused(tab: Any, base: str) -> None:
    tab.goto(base + "/account/password")
    tab.fill("input[name=current_password]", "not the password")
    tab.fill("input[name=new_password]", "a brand new password")
    tab.fill("input[name=confirm_password]", "a brand new password")
    tab.click("main button[type=submit]")  # not the top bar's Sign out
    tab.wait_for_selector(".error[role=alert]")


def desk_with_callers_waiting(tab: Any, base: str) -> None:
    tab.goto(base + "/desk")
    tab.click("button.status[data-status=available]")
    tab.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
    tab.wait_for_selector("#rows tr")
    tab.wait_for_selector("#summary ol.path li")


def desk_on_a_call(tab: Any, base: str) -> None:
    tab.goto(base + "/desk")
    tab.wait_for_selector(".oncall")
    tab.wait_for_selector("#summary ol.path li")


def desk_after_call_work(tab: Any, base: str) -> None:
    desk_on_a_call(tab, base)
    tab.wait_for_selector(".oncall.acw")


def desk_asking_before_hanging_up(tab: Any, base: str) -> None:
    desk_on_a_call(tab, base)
    tab.keyboard.press("1")  # a disposition, then Done while the caller is still on the line
    tab.keyboard.press("d")
    tab.wait_for_selector("dialog#hang-up[open]")


def desk_transfer_dialog(tab: Any, base: str) -> None:
    desk_on_a_call(tab, base)
    tab.keyboard.press("t")
    tab.wait_for_selector("dialog#transfer-dialog[open]")


def floor_live(tab: Any, base: str) -> None:
    """The floor with callers waiting and advisers at work, redrawn once by its script."""
    tab.goto(base + "/floor")
    tab.wait_for_selector("#fl-waiting-rows tr")
    tab.wait_for_selector("#fl-adviser-rows tr[data-status=busy]")
    tab.wait_for_function("() => document.getElementById('fl-live').textContent === 'live'")


def on_a_phone(visit: Visit) -> Visit:
    """The same page on a phone-sized screen, with the top bar's menu opened."""
    def visit_narrow(tab: Any, base: str) -> None:
        tab.set_viewport_size({"width": 390, "height": 844})
        visit(tab, base)
        tab.click(".menu-toggle")
        tab.wait_for_selector(".menu-toggle[aria-expanded=true]")

    return visit_narrow


def desk_keyboard_shortcuts(tab: Any, base: str) -> None:
    desk_with_callers_waiting(tab, base)
    tab.click("#keys-open")
    tab.wait_for_selector("dialog#help[open]")


def desk_failed_callback(tab: Any, base: str) -> None:
    tab.goto(base + "/desk")
    tab.wait_for_function("() => document.getElementById('count-callbacks').textContent === '1'")
    tab.keyboard.press("c")  # the callbacks tab
    tab.click("#rows tr:has(.chip.failed)")
    tab.wait_for_selector("#retry")


def phone_mid_call(tab: Any, base: str) -> None:
    tab.goto(base + "/phone")
    tab.uncheck("#speak")  # headless Chromium has no voices; the prompts are on screen
    tab.click("#call")
    tab.wait_for_selector("#heard li")
    tab.wait_for_selector('.key[data-key="1"]:enabled')


def phone_recording(tab: Any, base: str) -> None:
    """The caller chose English, then to leave their name: the page offers the microphone."""
    phone_mid_call(tab, base)
    tab.click('.key[data-key="1"]')
    tab.wait_for_function("() => document.getElementById('heard').innerText.includes('Main menu.')")
    tab.click('.key[data-key="6"]')
    tab.wait_for_selector("#recorder:not([hidden])")


def flow_draft_checked(tab: Any, base: str) -> None:
    tab.goto(base + "/flow")
    draft = settings.IVR_FILE.read_text(encoding="utf-8")
    tab.fill("#draft", draft.replace("en: Welcome", "en: Hello and welcome", 1))
    tab.click("section.draft button[type=submit]")
    tab.wait_for_selector("text=Flow map draft")
    tab.wait_for_selector("svg.flowmap")


def user_opened(tab: Any, base: str) -> None:
    tab.goto(base + "/admin/users")
    tab.click(f"tr:has-text('{USERS['agent']}') a")
    tab.wait_for_selector("text=Reset password (one-time)")


def account_made(tab: Any, base: str) -> None:
    tab.goto(base + "/admin/users")
    tab.fill("input[name=name]", "New Adviser")
    tab.fill("input[name=username]", "newadviser")
    tab.check("input[name=queues][value=general]")
    tab.click("button[type=submit].primary")
    tab.wait_for_selector(".otp-value")


def person_found(tab: Any, base: str) -> None:
    tab.goto(base + "/admin/privacy")
    tab.fill("input[name=phone]", WAITING_PHONE)
    tab.click("button[type=submit].primary")
    tab.wait_for_selector("#holdings")
