"""Issue 19 on the web phone, in Chromium: an admin calls the employers queue (survey: true), an
adviser answers on the desk and ends the conversation there; the caller, still on the line,
hears the question after the call, presses 4 and is thanked; the Caller survey report then
shows one response with a mean score of 4, and the page passes axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter.accounts.users import create_user
from db import session as db
from db.models import Call
from tests.support.axe import assert_accessible
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.env import OPEN_TIME
from tests.support.webphone import hears, phone_line, sign_in, status_is

pytestmark = pytest.mark.browser
QUESTION = "Before you go, how well did we help you today? Press 1 for not at all, up to 5 for very well."


@pytest.fixture
def line(make_app, tmp_path) -> Iterator[str]:
    config = {"CLOCK": lambda: OPEN_TIME, "INSTANCE": str(tmp_path)}
    with phone_line(make_app, **config) as (base, _):
        with db.SessionLocal() as s:
            create_user(s, "sam", "Sam Employer-Desk", "agent", PASSWORD, queues=["employers"],
                        languages=["en"], phone="+447700900998")
            create_user(s, "root", "Robin Admin", "admin", PASSWORD)
            s.commit()
        yield base


def test_the_caller_answers_the_question_after_the_adviser_ends_the_call_and_the_report_counts_it(line):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        desk = sign_in(browser, line, "sam")
        desk.click("button.status[data-status=available]")
        desk.wait_for_selector("button.status[data-status=available][aria-pressed=true]")

        phone = sign_in(browser, line, "root")
        phone.goto(line + "/phone")
        phone.uncheck("#speak")  # headless Chromium has no voices; the text is on screen
        phone.click("#call")
        hears(phone, "For English, press 1.")
        phone.click('.key[data-key="1"]')
        hears(phone, "Main menu.")
        phone.click('.key[data-key="4"]')  # employers
        hears(phone, "Employers.")
        phone.click('.key[data-key="2"]')  # an employer adviser
        status_is(phone, "On hold")
        desk.wait_for_selector("#rows tr")
        desk.keyboard.press("a")  # answer
        desk.wait_for_selector(".oncall")
        status_is(phone, "Connected to an adviser")

        desk.click("text=End conversation")  # the caller stays on the line: the question comes
        hears(phone, QUESTION)
        status_is(phone, "Listening for your keys")
        phone.screenshot(path=str(SHOTS / "webphone-survey-question.png"))
        phone.click('.key[data-key="4"]')
        hears(phone, "Thank you for your answer. Goodbye.")
        status_is(phone, "The helpline ended the call")

        # The web phone's call starts on the machine's clock (not the app's CLOCK): report its day.
        with db.SessionLocal() as s:
            day = s.scalar(select(Call.started_at)).astimezone(ZoneInfo("Europe/London")).date()
        phone.goto(f"{line}/reports/survey?from={day}&to={day}")
        total = phone.locator('#survey-by-queue tr[data-row="all"]')
        assert total.locator('[data-metric="survey_responses"]').inner_text() == "1"
        assert total.locator('[data-metric="mean_survey_score"]').inner_text() == "4.0"
        employers = phone.locator('#survey-by-queue tr[data-row="employers"]')
        assert employers.locator('[data-metric="survey_response_rate"]').inner_text() == "100.0%"
        assert phone.locator('#survey-by-adviser tr[data-row] th').first.inner_text() == "Sam Employer-Desk"
        phone.screenshot(path=str(SHOTS / "reports-survey.png"), full_page=True)
        assert_accessible(phone, "the Caller survey report")
        browser.close()
