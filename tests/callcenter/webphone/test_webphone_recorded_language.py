"""Issue 19 on the web phone, in Chromium: a caller chooses Swahili (5), a language heard only
from recordings; the page plays the flow's files (<Play> -> the page's <audio>) and shows each
one's transcript as it plays, and the caller reaches an adviser who speaks Swahili."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callcenter.accounts.users import create_user
from db import session as db
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.env import OPEN_TIME
from tests.support.webphone import hears, phone_line, sign_in, status_is

pytestmark = pytest.mark.browser


@pytest.fixture
def line(make_app, tmp_path) -> Iterator[str]:
    with phone_line(make_app, CLOCK=lambda: OPEN_TIME, INSTANCE=str(tmp_path)) as (base, _):
        with db.SessionLocal() as s:
            create_user(s, "amani", "Amani Njoroge", "agent", PASSWORD, queues=["general"], languages=["sw"],
                        phone="+447700900999")
            create_user(s, "trainer", "Pat Trainer", "supervisor", PASSWORD)
            s.commit()
        yield base


def recorded(page, words: str) -> None:
    """The page lists `words` as a recording the caller heard."""
    page.wait_for_selector(f".heard li.recorded:has-text({words!r})", timeout=60_000)


def test_a_swahili_caller_hears_the_recordings_with_their_words_and_reaches_an_adviser(line):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        desk = sign_in(browser, line, "amani")
        desk.click("button.status[data-status=available]")
        desk.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
        phone = sign_in(browser, line, "trainer")
        phone.goto(line + "/phone")
        phone.uncheck("#speak")
        phone.click("#call")
        hears(phone, "For English, press 1.")
        recorded(phone, "Kwa Kiswahili, bonyeza 5.")  # the language menu's own recorded line
        phone.click('.key[data-key="5"]')
        recorded(phone, "Karibu kwenye simu ya msaada")
        recorded(phone, "Menyu kuu.")
        recorded(phone, "Kujiandikisha kama mtafuta kazi")  # an option's label, then "bonyeza", then "1"
        assert "Polly" not in phone.inner_text("#heard")
        # What plays is the app's own file: the page's audio element played a Swahili recording.
        music = "document.getElementById('hold-music')"
        phone.wait_for_function(
            f"() => {music}.src.includes('/ivr/prompts/sw/') && {music}.played.length > 0", timeout=60_000)
        phone.click('.key[data-key="0"]')  # an adviser
        status_is(phone, "On hold", timeout=60_000)
        recorded(phone, "Asante. Tafadhali endelea kusubiri")
        desk.wait_for_selector("#rows tr")
        desk.keyboard.press("a")  # answer
        status_is(phone, "Connected to an adviser", timeout=60_000)
        phone.screenshot(path=str(SHOTS / "h13-webphone-swahili.png"), full_page=True)
        browser.close()
