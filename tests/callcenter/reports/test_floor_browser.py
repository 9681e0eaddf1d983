"""Issue 16 in Chromium: a supervisor watches /floor while a caller on the web phone joins the line
and an adviser in another browser becomes available and answers; each change shows on the floor
without a reload. The pages' polling is set to ten minutes (LIVE_POLL_MS), so what arrives came by
the push (their EventSource); with the stream refused, the floor still updates by polling.
Screenshots go to /tmp (JOBLINE_SCREENSHOTS to change)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callcenter.accounts.users import create_user
from db import session as db
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD, waiting_call
from tests.support.webphone import hears, phone_line, sign_in, status_is

pytestmark = pytest.mark.browser
PUSH_ONLY = 600_000  # ms between polls: longer than any test, so only a pushed event refreshes
LIVE = "() => document.body.dataset.live === 'open'"


@pytest.fixture
def helpline(make_app, tmp_path) -> Iterator[str]:
    with phone_line(make_app, INSTANCE=str(tmp_path), LIVE_POLL_MS=PUSH_ONLY) as (base, _):
        with db.SessionLocal() as s:
            create_user(s, "ada", "Ada Lovell", "agent", PASSWORD, queues=["general"], languages=["en"],
                        phone="+447700900999")
            create_user(s, "sam", "Sam Caller", "agent", PASSWORD, queues=["employers"], languages=["en"])
            create_user(s, "pat", "Pat Lead", "supervisor", PASSWORD)
            s.commit()
        yield base


def test_the_floor_shows_a_new_caller_and_the_adviser_answering_without_a_reload(helpline):
    from playwright.sync_api import expect, sync_playwright

    base = helpline
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        desk = sign_in(browser, base, "ada")  # on a break: the caller waits in line for her
        desk.click("button.status[data-status=break]")
        desk.wait_for_selector("button.status[data-status=break][aria-pressed=true]")

        floor = sign_in(browser, base, "pat")
        floor.goto(base + "/floor?queue=general")
        floor.wait_for_function(LIVE)
        expect(floor.locator("#fl-live")).to_have_text("live")
        ada = floor.locator("#fl-adviser-rows tr", has_text="Ada Lovell")
        expect(ada.locator("[data-field=status]")).to_have_text("On break")
        assert floor.locator("#fl-waiting-rows tr").count() == 0
        expect(floor.locator("#fl-waiting-empty")).to_be_visible()

        phone = sign_in(browser, base, "sam")
        phone.goto(base + "/phone")
        phone.uncheck("#speak")  # headless Chromium has no voices; the text is on screen
        phone.click("#call")
        hears(phone, "For English, press 1.")
        phone.click('.key[data-key="1"]')
        hears(phone, "Main menu.")
        phone.click('.key[data-key="0"]')  # an adviser: the general line
        status_is(phone, "On hold")

        caller = floor.locator("#fl-waiting-rows tr[data-kind=call]")
        expect(caller).to_have_count(1)
        expect(caller.locator("td").nth(0)).to_have_text("1")  # first in line
        expect(caller).to_contain_text("General enquiries")
        expect(caller).to_contain_text("Waiting")
        expect(floor.locator("[data-count=waiting]")).to_have_text("1")
        assert "7700" not in caller.inner_text()  # the web phone's number, masked
        expect(floor.locator("#fl-summary")).to_contain_text("1 waiting")  # said once, when it changed
        floor.screenshot(path=str(SHOTS / "floor-caller-waiting.png"), full_page=True)

        desk.click("button.status[data-status=available]")
        expect(ada.locator("[data-field=status]")).to_have_text("Available")
        desk.wait_for_selector("#rows tr")
        desk.keyboard.press("a")  # answer: the adviser's phone rings, then the caller is put through
        desk.wait_for_selector(".oncall")
        expect(ada.locator("[data-field=status]")).to_have_text("On a call")
        expect(ada.locator("[data-field=current]")).to_contain_text("General enquiries")
        expect(floor.locator("#fl-waiting-rows tr")).to_have_count(0)
        assert floor.evaluate("document.body.dataset.live") == "open"  # pushed all along, never polled
        floor.screenshot(path=str(SHOTS / "floor-adviser-answered.png"), full_page=True)
        browser.close()


def test_the_wallboard_counts_a_new_caller_by_the_push(helpline):
    from playwright.sync_api import expect, sync_playwright

    base = helpline
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        board = sign_in(browser, base, "pat")
        board.goto(base + "/wallboard")
        board.wait_for_function(LIVE)
        waiting = board.locator('[data-queue="employers"] [data-metric="waiting"] .wb-value')
        expect(waiting).to_have_text("0")
        with db.SessionLocal() as s:
            waiting_call(s, phone="+447700900789", queue="employers", waited_s=5)
            s.commit()
        expect(waiting).to_have_text("1")  # the page polls every ten minutes: this came by the push
        browser.close()


def test_with_the_push_refused_the_floor_still_updates_by_polling(make_app, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with phone_line(make_app, INSTANCE=str(tmp_path)) as (base, _):  # the usual 1.5 s poll
        with db.SessionLocal() as s:
            create_user(s, "pat", "Pat Lead", "supervisor", PASSWORD)
            s.commit()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            floor = sign_in(browser, base, "pat")
            # As when every stream slot is taken or Redis is down: the server answers 503.
            floor.route("**/api/events*", lambda route: route.fulfill(
                status=503, content_type="application/json",
                body='{"error": "Live updates are not available now.", "status": 503}'))
            floor.goto(base + "/floor")
            floor.wait_for_function("() => document.body.dataset.live === 'polling'")
            with db.SessionLocal() as s:
                entry = waiting_call(s, phone="+447700900456", queue="benefits", language="es", waited_s=5)
                s.commit()
                entry_id = entry.id
            expect(floor.locator(f'#fl-waiting-rows tr[data-id="{entry_id}"]')).to_contain_text("Benefits")
            expect(floor.locator("#fl-live")).to_have_text("refreshing every few seconds")
            browser.close()
