"""The desk and the wallboard in Chromium, pushed live: a new caller shows as soon as the server
says so (the page's EventSource is open), and with the push refused the page still updates by
polling. Screenshots go to /tmp (JOBLINE_SCREENSHOTS to change)."""

from __future__ import annotations

import pytest

from db import session as db
from db.models import utcnow
from tests.support.browser import SHOTS, sign_in_on
from tests.support.desk import waiting_call

pytestmark = pytest.mark.browser
EVENT_SOURCE_OPEN = "() => document.body.dataset.live === 'open'"


def _caller_joins(queue: str, phone: str) -> int:
    with db.SessionLocal() as s:
        entry = waiting_call(s, phone=phone, queue=queue, waited_s=5, now=utcnow())
        s.commit()
        return entry.id


def test_a_new_caller_is_pushed_to_the_open_desk(live, page, accounts):
    base, _ = live
    sign_in_on(page, base, "agent1")
    page.wait_for_function(EVENT_SOURCE_OPEN)
    page.wait_for_selector("#rows", state="attached")
    assert page.locator("#rows tr[data-id]").count() == 0

    entry_id = _caller_joins("benefits", "+447700900123")
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
    assert "Maria Lopez" in page.locator(f'#rows tr[data-id="{entry_id}"]').inner_text()
    assert page.evaluate("document.body.dataset.live") == "open"  # pushed, not polled
    page.screenshot(path=str(SHOTS / "desk-live.png"))


def test_with_the_push_refused_the_desk_still_updates_by_polling(live, page, accounts):
    base, _ = live
    # As when every stream slot is taken or a proxy breaks the stream: the server answers 503.
    page.route("**/api/events*", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error": "Live updates are not available now.", "status": 503}'))
    sign_in_on(page, base, "agent1")
    page.wait_for_function("() => document.body.dataset.live === 'polling'")
    page.wait_for_selector("#rows", state="attached")

    entry_id = _caller_joins("general", "+447700900456")
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
    assert page.evaluate("document.body.dataset.live") == "polling"


def test_the_wallboard_counts_a_new_caller_pushed_live(live, page, accounts):
    base, _ = live
    sign_in_on(page, base, "supervisor1")
    page.goto(base + "/wallboard")
    page.wait_for_function(EVENT_SOURCE_OPEN)
    waiting = page.locator('[data-queue="employers"] [data-metric="waiting"] .wb-value')
    assert waiting.inner_text() == "0"

    _caller_joins("employers", "+447700900789")
    from playwright.sync_api import expect

    expect(waiting).to_have_text("1")
    page.screenshot(path=str(SHOTS / "wallboard-live.png"))
