"""Issue 14 in Chromium: the adviser waiting for a callback sees that the call failed and why, and
acts on it from the keyboard; the wallboard counts the callback calls that failed today."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from callcenter.accounts.users import create_user
from callcenter.routing.callbacks import dial_due
from db import session as db
from db.models import Callback
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.browser import chromium, sign_in_on
from tests.support.desk import PASSWORD, waiting_call
from tests.support.env import ACCOUNT, OPEN_TIME, TOKEN
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.browser


@pytest.fixture
def served(make_app) -> Iterator[tuple[str, object]]:
    app = make_app(TWILIO_HTTP_CLIENT=FakeTwilio())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()


def test_a_busy_line_shows_on_the_desk_and_the_wallboard(served):
    from playwright.sync_api import expect

    base, app = served
    with db.SessionLocal.begin() as s:
        create_user(s, "ada", "Ada Lovell", "agent", PASSWORD, queues=["general"], languages=["en"])
        create_user(s, "sue", "Sue Pervisor", "supervisor", PASSWORD)
        entry = waiting_call(s, phone="+447911123456", queue="general", now=OPEN_TIME)
        entry.status, entry.outcome, entry.left_at = "left", "callback", OPEN_TIME
        s.add(Callback(call_id=entry.call_id, queue_entry_id=entry.id, queue="general", phone="+447911123456",
                       language="en", requested_at=OPEN_TIME, enqueued_at=entry.enqueued_at))
    with chromium() as page:
        sign_in_on(page, base, "ada")
        page.click("button.status[data-status=available]")
        page.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
        [cb_id] = dial_due(app.config, app.extensions["jobline.flow"], OPEN_TIME)  # the worker's job
        expect(page.locator(".oncall")).to_contain_text("their phone is ringing")
        line = Phone(FlaskTransport(app.test_client()), TOKEN, caller="+441632960000", to="+447911123456",
                     account=ACCOUNT, direction="outbound-api")
        line.post(f"/ivr/queue/callback-call/{cb_id}/status", line.params(CallStatus="busy"))  # Twilio's word

        notice = page.locator(".failed-try")
        expect(notice).to_contain_text("The call to the caller failed: the line was busy, or the caller "
                                       "declined the call. Jobline will try again later.")
        expect(page.get_by_role("button", name="Try again")).to_be_focused()
        page.screenshot(path="/tmp/h2-desk-failed-try.png")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Mark as not reached")).to_be_focused()
        page.keyboard.press("Enter")
        expect(notice).to_have_count(0)
        with db.SessionLocal() as s:
            assert s.scalar(select(Callback.status).where(Callback.id == cb_id)) == "failed"

        page.click("text=Sign out")
        sign_in_on(page, base, "sue")
        page.goto(base + "/wallboard")
        tile = page.locator('section[data-queue="general"] [data-metric=callback_tries_failed] .wb-value')
        expect(tile).to_have_text("1")
        page.screenshot(path="/tmp/h2-wallboard.png")
