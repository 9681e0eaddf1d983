"""Hold, resume and a consult with a directory line in Chromium: the adviser on a call in its
conference room presses Hold and reads "On hold", Resume brings the caller back, Consult… rings a
line of the directory and offers to hand the caller on. Screenshots: /tmp/desk-hold-*.png."""

from __future__ import annotations

from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

from db import session as db
from db.models import utcnow
from tests.support.axe import assert_accessible
from tests.support.browser import SHOTS, sign_in_on
from tests.support.desk import waiting_call
from tests.support.env import ACCOUNT
from tests.support.signing import sign

pytestmark = pytest.mark.browser
PUBLIC = "https://jobline.test"  # the live app's PUBLIC_BASE_URL (tests/support/browser.py)


def twilio_posts(base: str, path: str, form: dict[str, str]) -> int:
    """A webhook Twilio sends, signed for the public address, delivered to the served app."""
    req = Request(base + path, data=urlencode(form).encode(), method="POST",
                  headers={"X-Twilio-Signature": sign(PUBLIC + path, form),
                           "Content-Type": "application/x-www-form-urlencoded"})
    with urlopen(req, timeout=10) as resp:
        return resp.status


def test_the_adviser_holds_resumes_and_consults_from_the_desk(live, page, accounts):
    base, fake = live
    with db.SessionLocal() as s:
        entry = waiting_call(s, phone="+447700900123", waited_s=30, now=utcnow())
        s.commit()
        entry_id, call_sid = entry.id, entry.call.sid
    sign_in_on(page, base, "agent1")
    page.click("button.status[data-status=available]")
    page.wait_for_selector("body[data-status=available]")  # the desk took the change: A answers now
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
    page.keyboard.press("a")
    page.wait_for_selector(".oncall.talking")
    assert page.locator("#hold").count() == 0  # ringing: nothing to hold yet

    # The adviser's phone picks up and they press 1; Twilio reports the call's room.
    leg = {"CallSid": "CA" + "c" * 32, "AccountSid": ACCOUNT, "CallStatus": "in-progress"}
    assert twilio_posts(base, f"/ivr/queue/whisper/{entry_id}/key", leg | {"Digits": "1"}) == 200
    assert twilio_posts(base, f"/ivr/queue/room/{entry_id}", {
        "ConferenceSid": "CF" + "d" * 32, "StatusCallbackEvent": "participant-join", "CallSid": call_sid,
        "AccountSid": ACCOUNT, "FriendlyName": "jobline-call-1"}) == 200
    page.wait_for_selector("#hold")

    page.click("#hold")
    page.wait_for_selector(".room-state.on-hold, .toast.bad")
    assert page.locator(".toast.bad").count() == 0, page.inner_text("#toast")
    assert page.inner_text(".room-state.on-hold") == "On hold: the caller hears the hold music."
    assert page.inner_text("#hold") == "Resume"
    assert any("/Participants/caller.json" in url for _, url in fake.requests)
    page.screenshot(path=str(SHOTS / "desk-hold-on-hold.png"))
    assert_accessible(page, "desk, caller on hold")

    page.click("#hold")  # Resume
    page.wait_for_function("() => document.querySelector('#hold').textContent === 'Hold'")
    assert page.locator(".room-state.on-hold").count() == 0

    page.click("#consult")
    page.wait_for_selector("#consult-dialog[open]")
    page.select_option("#consult-line", "housing")
    page.click("#consult-confirm")
    page.wait_for_selector("#consult-transfer")
    assert page.inner_text(".room-state") == ("On the line with you: Housing benefit office. "
                                              "The caller is on hold.")
    page.screenshot(path=str(SHOTS / "desk-hold-consult.png"))
    page.click("#consult-transfer")
    page.wait_for_selector(".toast.good")
    assert page.inner_text(".toast") == "Transferred to Housing benefit office."
    page.wait_for_selector(".oncall.acw")
    steps = page.locator("ol.path li.transfer")
    assert steps.last.inner_text() == "Transferred by Test Agent to Housing benefit office"
    held = page.locator("ol.path li.hold")  # the path says how long the caller held
    assert held.first.inner_text().startswith("Put on hold by Test Agent (0 min ")
