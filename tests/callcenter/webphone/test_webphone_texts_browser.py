"""Issue 19 on the web phone, in Chromium, with no Twilio account: a caller hears the office
hours, presses 1 to get them by text message, and the text arrives on the phone's screen; the
bridge answered the Messages API as Twilio does and posted its status callbacks, so the text
is recorded delivered. Real signed webhooks, Redis and the database; the send job runs as the
worker runs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from callcenter.accounts.users import create_user
from callcenter.routing.texts import send
from db import session as db
from db.models import TextMessage
from tests.support.axe import assert_accessible
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.webphone import hears, phone_line, sign_in

pytestmark = pytest.mark.browser
SENDER = "+441632960001"


@pytest.fixture
def helpline(make_app, tmp_path) -> Iterator[tuple[str, object]]:
    with phone_line(make_app, INSTANCE=str(tmp_path), TWILIO_MESSAGING_FROM=SENDER) as served:
        yield served


def test_the_caller_presses_1_and_the_office_hours_arrive_by_text(helpline):
    from playwright.sync_api import expect, sync_playwright

    base, app = helpline
    with db.SessionLocal() as s:
        create_user(s, "sam", "Sam Caller", "agent", PASSWORD, queues=["general"], languages=["en"])
        s.commit()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        phone = sign_in(browser, base, "sam")
        phone.goto(base + "/phone")
        phone.uncheck("#speak")  # headless Chromium has no voices; the text is on screen
        expect(phone.locator("#texts-none")).to_be_visible()
        phone.click("#call")
        hears(phone, "For English, press 1.")
        phone.click('.key[data-key="1"]')
        hears(phone, "Main menu.")
        phone.click('.key[data-key="5"]')  # office addresses and opening hours
        hears(phone, "Our employment offices are open Monday to Friday")
        hears(phone, "To get this information by text message, press 1.")
        phone.click('.key[data-key="1"]')
        hears(phone, "We are sending it by text message to the phone you are calling from.")

        with db.SessionLocal() as s:
            text_id = s.scalars(select(TextMessage.id)).one()
        # The worker's job, run here on the app's config (its REST client is the web phone's bridge).
        assert send(app.config, app.extensions["jobline.flow"], text_id) == "queued"

        texts = phone.locator("#texts li")
        expect(texts).to_have_count(1, timeout=20_000)
        expect(texts.first).to_have_text(f"Text message from {SENDER}: "
                                          + app.extensions["jobline.flow"].texts["offices"]["en"])
        expect(phone.locator("#texts-none")).to_be_hidden()
        assert_accessible(phone, "web phone with a text message")
        phone.screenshot(path=str(SHOTS / "h11-webphone-text.png"), full_page=True)
        browser.close()

    with db.SessionLocal() as s:  # the page's poll posted Twilio's callbacks: sent, then delivered
        text = s.get(TextMessage, text_id)
        assert (text.status, text.sid is not None, text.error_code) == ("delivered", True, None)
