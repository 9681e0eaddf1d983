"""Issue 16's offered call in Chromium, through the web phone: in a queue with `mode: offer` an
admin calls the helpline from /phone; the desk of the adviser idle the longest rings with the
caller's summary and Accept / Reject; she rejects, the call rings on a second adviser's desk in
another browser, he accepts, and the web phone is connected to him."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callcenter.accounts.users import create_user
from db import session as db
from tests.support.axe import BLOCKING, describe, violations
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.offers import offer_flow
from tests.support.webphone import hears, phone_line, sign_in, status_is

pytestmark = pytest.mark.browser


@pytest.fixture
def helpline(make_app, tmp_path) -> Iterator[tuple[str, object]]:
    flow = offer_flow(tmp_path / "flow", queues=("general",), timeout_s=60)
    with phone_line(make_app, INSTANCE=str(tmp_path), IVR_FILE=flow) as served:
        yield served


def available(page) -> None:
    page.click("button.status[data-status=available]")
    page.wait_for_selector("button.status[data-status=available][aria-pressed=true]")


def test_an_offered_call_rejected_by_one_adviser_is_accepted_by_the_next(helpline):
    from playwright.sync_api import expect, sync_playwright

    base, _ = helpline
    with db.SessionLocal() as s:
        for username, name in (("ada", "Ada Lovell"), ("ben", "Ben Okafor")):
            create_user(s, username, name, "agent", PASSWORD, queues=["general"], languages=["en"])
        create_user(s, "root", "Admin", "admin", PASSWORD)
        s.commit()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ada = sign_in(browser, base, "ada")
        available(ada)  # the first available: the longest idle when the caller comes
        ben = sign_in(browser, base, "ben")
        available(ben)

        phone = sign_in(browser, base, "root")
        phone.goto(base + "/phone")
        phone.uncheck("#speak")  # headless Chromium has no voices; the text is on screen
        phone.click("#call")
        hears(phone, "For English, press 1.")
        phone.click('.key[data-key="1"]')
        hears(phone, "Main menu.")
        phone.click('.key[data-key="0"]')  # an adviser: the general line, which offers its callers
        status_is(phone, "On hold")

        ada.wait_for_selector("#offer-accept")  # her desk rings with the caller's summary
        expect(ada.locator(".offer-head")).to_contain_text("Call offered to you · General enquiries")
        expect(ada.locator("#summary")).to_contain_text("Reject")
        ada.wait_for_function("() => document.body.dataset.chimes || document.body.dataset.chimeBlocked")
        found = [v for v in violations(ada) if v["impact"] in BLOCKING]
        assert not found, describe(found)
        ada.screenshot(path=str(SHOTS / "desk-offered-call.png"))
        expect(ben.locator("#offer-accept")).to_have_count(0)  # one desk at a time
        expect(ben.locator("#summary")).to_contain_text("ring on an adviser's desk in turn")

        ada.click("#offer-reject")
        ada.wait_for_selector("#offer-accept", state="detached")
        ben.wait_for_selector("#offer-accept")  # the next adviser's turn
        expect(ben.locator(".offer-head")).to_contain_text("Call offered to you")
        ben.keyboard.press("a")  # the desk's Answer key accepts the call offered
        ben.wait_for_selector(".oncall")
        status_is(phone, "Connected to an adviser")
        ben.screenshot(path=str(SHOTS / "desk-offer-accepted.png"))
        expect(ada.locator("#offer-accept")).to_have_count(0)
        browser.close()
