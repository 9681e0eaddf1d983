"""A transfer in Chromium: the adviser presses T, picks the queue, writes a note for the next
adviser; the next adviser sees who transferred, from where, and the note in the caller's path.
Screenshots: /tmp/desk-transfer-*.png."""

from __future__ import annotations

import pytest

from db import session as db
from db.models import utcnow
from tests.support.browser import SHOTS, sign_in_on
from tests.support.desk import waiting_call

pytestmark = pytest.mark.browser
NOTE = "Wants to hire two apprentices; I explained the benefit rules already."


def test_the_note_of_a_transfer_reaches_the_next_adviser(live, page, accounts):
    base, _ = live
    with db.SessionLocal() as s:
        entry_id = waiting_call(s, phone="+447700900123", waited_s=30, now=utcnow(), name=None).id
        s.commit()
    sign_in_on(page, base, "agent1")
    page.click("button.status[data-status=available]")
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
    assert "No name given" in page.inner_text("#rows")  # the words of the list and the summary
    page.wait_for_selector("#summary .caller-name")
    assert page.inner_text("#summary .caller-name") == "No name given"
    page.keyboard.press("a")
    page.wait_for_selector(".oncall.talking")

    page.keyboard.press("t")  # where to, and a note for the next adviser
    page.wait_for_selector("#transfer-dialog[open]")
    assert page.evaluate("() => document.activeElement.id") == "transfer-note"
    page.select_option("#transfer-queue", "employers")
    page.keyboard.type(NOTE)
    page.screenshot(path=str(SHOTS / "desk-transfer-dialog.png"))
    page.click("#transfer-confirm")
    page.wait_for_selector(".toast.good")
    assert page.inner_text(".toast") == "Transferred to Employers."
    page.wait_for_selector(".oncall.acw")  # the caller waits for Employers; after-call work here
    page.keyboard.press("1")
    page.keyboard.press("d")
    page.wait_for_function("() => !document.querySelector('.oncall')")
    page.click("button.link[type=submit]")  # Sign out

    sign_in_on(page, base, "supervisor1")
    row = page.locator("#rows tr", has_text="Employers")
    row.click()
    step = page.locator("#summary ol.path li.transfer")
    step.wait_for()
    assert step.inner_text().startswith("Transferred by Test Agent from Benefits: ")
    assert NOTE in step.inner_text()
    assert page.locator("#summary ol.path li").count() == 5
    page.screenshot(path=str(SHOTS / "desk-transfer-next-adviser.png"))
