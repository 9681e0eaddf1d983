"""Issue 19 on the web phone: an English caller hears the flow's recorded prompts (<Play> ->
the page's <audio>, the real file from this app) with their transcript shown, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callcenter.accounts.users import create_user
from db import session as db
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.env import OPEN_TIME
from tests.support.webphone import hears, phone_line

pytestmark = pytest.mark.browser
VALID = "79927398"  # a Luhn-valid jobseeker number


@pytest.fixture
def line(make_app, tmp_path) -> Iterator[str]:
    with phone_line(make_app, CLOCK=lambda: OPEN_TIME, INSTANCE=str(tmp_path)) as (base, _):
        with db.SessionLocal() as s:
            create_user(s, "trainer", "Pat Trainer", "supervisor", PASSWORD)
            s.commit()
        yield base




def test_the_web_phone_plays_a_recorded_prompt_and_shows_its_words(line):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        page.goto(line + "/login")
        page.fill("input[name=username]", "trainer")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(line + "/phone")
        page.uncheck("#speak")
        page.click("#call")
        hears(page, "For English, press 1.")
        for key, then in (("1", "Main menu."), ("2", "Unemployment benefits."), ("3", "jobseeker number")):
            page.click(f'.key[data-key="{key}"]')
            hears(page, then)
        for key in VALID + "#":
            page.click(f'.key[data-key="{key}"]')
        hears(page, "You entered 7 9 9 2, 7 3 9 8.")
        page.click('.key[data-key="1"]')
        # The recording's transcript is on the page, marked as a recording ...
        page.wait_for_selector(".heard li.recorded:has-text('Thank you.')")
        assert "recording" in page.inner_text(".heard li.recorded .lang")
        # ... and the file itself, served by this app, is what the page's audio element played.
        music = "document.getElementById('hold-music')"
        page.wait_for_function(f"() => {music}.src.includes('/ivr/prompts/en/thank-you.wav?v=')"
                               f" && {music}.played.length > 0")
        page.screenshot(path=str(SHOTS / "h8-webphone-recorded.png"), full_page=True)
        browser.close()
