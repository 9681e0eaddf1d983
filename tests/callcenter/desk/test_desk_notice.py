"""A new caller is noticed when the desk is not in front of the adviser's eyes: a chime, the tab's
title, and (turned on by the adviser, permission granted) a desktop notification naming the queue,
never the caller. Screenshot: /tmp/desk-notice.png."""

from __future__ import annotations

import pytest

from db import session as db
from db.models import utcnow
from tests.support.browser import SHOTS, sign_in_on
from tests.support.desk import waiting_call

pytestmark = pytest.mark.browser
# Records every notification the page creates, then shows it as the browser would.
SPY = """(() => {
  const Real = window.Notification;
  window.notificationsShown = [];
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.notificationsShown.push({ title, ...options });
    }
  };
})();"""
AWAY = "() => { document.hasFocus = () => false; }"  # the adviser is in another window
TITLE = "(1) Caller waiting — Jobline desk"


def _caller(phone: str, name: str) -> int:
    with db.SessionLocal() as s:
        entry = waiting_call(s, phone=phone, waited_s=3, now=utcnow(), name=name)
        s.commit()
        return entry.id


def test_a_new_caller_chimes_shows_in_the_title_and_notifies(live, page, accounts):
    base, _ = live
    _caller("+447700900111", "Already Waiting")
    page.context.grant_permissions(["notifications"], origin=base)
    page.add_init_script(SPY)
    sign_in_on(page, base, "agent1")
    page.click("button.status[data-status=available]")
    page.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
    page.wait_for_selector("#rows tr")
    page.check("#notify")  # opt in: permission is already granted to this site
    assert page.is_checked("#notify")
    assert page.title() == "Desk · Jobline"  # the caller there at sign-in is not news

    page.evaluate(AWAY)
    entry_id = _caller("+447700900222", "Maria Lopez")
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
    page.wait_for_function(f"() => document.title === {TITLE!r}")
    page.wait_for_function("() => document.body.dataset.chimes === '1'")  # the chime played
    shown = page.evaluate("() => window.notificationsShown")
    assert [(n["title"], n["body"]) for n in shown] == [("Caller waiting — Jobline desk", "In Benefits")]
    page.screenshot(path=str(SHOTS / "desk-notice.png"))

    # The adviser comes back to the desk: the title is the page's own again.
    page.evaluate("() => { document.hasFocus = () => true; }")
    page.mouse.move(200, 300)
    page.wait_for_function("() => document.title === 'Desk · Jobline'")

    # On a break the desk stays quiet: the caller shows in the list, nothing rings.
    page.click("button.status[data-status=break]")
    page.wait_for_selector("button.status[data-status=break][aria-pressed=true]")
    page.evaluate(AWAY)
    quiet_id = _caller("+447700900333", "Quiet Caller")
    page.wait_for_selector(f'#rows tr[data-id="{quiet_id}"]')
    assert page.title() == "Desk · Jobline"
    assert page.evaluate("() => document.body.dataset.chimes") == "1"
    assert len(page.evaluate("() => window.notificationsShown")) == 1


def test_notifications_stay_off_until_the_adviser_turns_them_on(live, page, accounts):
    base, _ = live
    page.context.grant_permissions(["notifications"], origin=base)
    page.add_init_script(SPY)
    sign_in_on(page, base, "agent1")
    page.click("button.status[data-status=available]")
    page.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
    page.wait_for_selector("#empty:not([hidden])")
    assert not page.is_checked("#notify")
    page.evaluate(AWAY)
    entry_id = _caller("+447700900222", "Maria Lopez")
    page.wait_for_selector(f'#rows tr[data-id="{entry_id}"]')
    page.wait_for_function(f"() => document.title === {TITLE!r}")  # the title and chime still tell
    assert page.evaluate("() => window.notificationsShown") == []
