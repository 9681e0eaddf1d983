"""Issue 14's callback journey in Chromium, with no Twilio account: a caller on the web phone asks
for a callback from the hold loop; an adviser becomes available on the desk and Jobline dials
the callback; the web phone rings, the caller answers, presses 1 and is put through to the
adviser. Real signed webhooks, Redis and the database; the dialler runs as the worker runs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from callcenter.accounts.users import create_user
from callcenter.routing.callbacks import dial_due
from db import session as db
from db.models import Callback, User
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.env import OPEN_TIME
from tests.support.webphone import hears, phone_line, sign_in, status_is

pytestmark = pytest.mark.browser


@pytest.fixture
def helpline(make_app, tmp_path) -> Iterator[tuple[str, object]]:
    with phone_line(make_app, INSTANCE=str(tmp_path)) as served:
        yield served








def test_a_callback_rings_the_web_phone_and_puts_the_caller_through_to_the_adviser(helpline):
    from playwright.sync_api import expect, sync_playwright

    base, app = helpline
    with db.SessionLocal() as s:
        create_user(s, "ada", "Ada Lovell", "agent", PASSWORD, queues=["general"], languages=["en"])
        create_user(s, "sam", "Sam Caller", "agent", PASSWORD, queues=["employers"], languages=["en"])
        s.commit()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        desk = sign_in(browser, base, "ada")  # signed in, on a break: callers wait in line for her
        desk.click("button.status[data-status=break]")
        desk.wait_for_selector("button.status[data-status=break][aria-pressed=true]")

        phone = sign_in(browser, base, "sam")
        phone.goto(base + "/phone")
        phone.uncheck("#speak")  # headless Chromium has no voices; the text is on screen
        phone.click("#call")
        hears(phone, "For English, press 1.")
        phone.click('.key[data-key="1"]')
        hears(phone, "Main menu.")
        phone.click('.key[data-key="0"]')  # an adviser: the general line
        status_is(phone, "On hold — press 1 for a callback")
        phone.keyboard.press("1")  # the key in the hold loop: a callback, keeping the place
        status_is(phone, "Listening for your keys")
        phone.keyboard.press("1")  # yes, call me back on this number
        status_is(phone, "The helpline ended the call")
        with db.SessionLocal() as s:
            cb = s.scalars(select(Callback)).one()
            assert cb.status == "pending"

        desk.click("button.status[data-status=available]")
        desk.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
        # The worker's job, run here on the app's config (its REST client is the web phone's bridge).
        assert dial_due(app.config, app.extensions["jobline.flow"], OPEN_TIME) == [cb.id]
        expect(desk.locator(".oncall")).to_contain_text("their phone is ringing", timeout=20_000)

        ring = phone.locator("#ring")
        expect(ring).to_be_visible(timeout=20_000)
        expect(ring).to_contain_text("Jobline is calling you back")
        expect(phone.locator("#ring-answer")).to_be_focused()  # Enter or Space answers
        phone.screenshot(path=str(SHOTS / "h2-webphone-ringing.png"))
        phone.keyboard.press("Enter")
        expect(ring).to_be_hidden()
        status_is(phone, "Listening for your keys")
        assert "press 1" in phone.inner_text("#heard").lower()
        phone.keyboard.press("1")  # "press 1 to talk to an adviser now"
        status_is(phone, "Connected to an adviser")
        phone.screenshot(path=str(SHOTS / "h2-webphone-callback-connected.png"))
        expect(desk.locator(".oncall")).to_contain_text("On a callback", timeout=20_000)
        desk.screenshot(path=str(SHOTS / "h2-desk-on-callback.png"))
        with db.SessionLocal() as s:
            cb = s.get(Callback, cb.id)
            ada = s.scalar(select(User).where(User.username == "ada"))
            assert cb.status == "connected" and cb.agent_id == ada.id and cb.connected_at is not None
        browser.close()
