"""The desk's text messages in Chromium: on the call, the adviser picks one of the flow's
messages (shown in the caller's language), sends it, and sees it on its way; no free text.
Screenshot: /tmp/h11-desk-texts.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db import session as db
from db.models import TextMessage, utcnow
from tests.support.axe import assert_accessible
from tests.support.browser import SHOTS, chromium, served, sign_in_on
from tests.support.desk import waiting_call
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.browser


@pytest.fixture
def base(make_app, tmp_path) -> Iterator[str]:
    app = make_app(CLOCK=utcnow, TWILIO_HTTP_CLIENT=FakeTwilio(), RECORDINGS_DIR=str(tmp_path),
                   PUBLIC_BASE_URL="https://jobline.test", TWILIO_MESSAGING_FROM="+441632960001")
    with served(app) as url:
        yield url


def test_the_adviser_sends_the_office_hours_in_the_callers_language(base, accounts):
    with db.SessionLocal() as s:
        entry_id = waiting_call(s, phone="+447700900123", language="es", waited_s=30, now=utcnow()).id
        s.commit()
    with chromium() as page:
        sign_in_on(page, base, "agent1")
        page.click("button.status[data-status=available]")
        page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
        page.keyboard.press("a")
        page.wait_for_selector(".oncall.talking")
        page.wait_for_selector("#text-message")
        page.select_option("#text-message", "offices")
        assert page.inner_text("#text-preview").startswith("Oficinas de empleo: lun-vie")
        page.click("#text-send")
        page.wait_for_selector("#texts-note")
        assert page.inner_text("#texts-note") == "The text is on its way to the caller's phone."
        assert page.inner_text(".texts-sent") == "For office addresses and opening hours: being sent"
        assert_accessible(page, "desk, on a call, after sending a text")
        page.screenshot(path=str(SHOTS / "h11-desk-texts.png"))
    with db.SessionLocal() as s:
        text = s.scalars(select(TextMessage)).one()
        assert (text.message, text.language, text.sent_by) == ("offices", "es", "adviser")
