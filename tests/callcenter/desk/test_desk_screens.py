"""The desk on every screen: a wide monitor, a tablet, a phone and 200 % zoom (a 1366 px screen
zoomed is a 683 px page). The page never scrolls sideways, the top bar never pushes the navigation
or Sign out off screen (below 900 px they sit behind a menu button), and a narrow desk is one
column, the waiting list above the caller. Screenshots: /tmp/desk-screen-*.png."""

from __future__ import annotations

import pytest

from db.models import utcnow
from tests.support.browser import SHOTS, sign_in_on
from tests.support.desk import PASSWORD, waiting_call

pytestmark = pytest.mark.browser
SCREENS = [("wide", 1366, 768), ("tablet", 800, 1000), ("phone", 390, 844), ("zoom-200", 683, 384)]
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"
ON_SCREEN = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
  return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth; }"""


def test_the_desk_fits_every_screen_and_keeps_its_navigation(live, page, s):
    from callcenter.accounts.users import create_user

    base, _ = live
    # The fullest bar: a supervisor (every page in the nav) on the browser phone, which is not
    # set up here, so its badge carries the longest text the bar gets.
    create_user(s, "floor.lead", "Alexandra Montgomery-Smith", "supervisor", PASSWORD,
                queues=["general", "benefits", "employers"], languages=["en", "es"])
    waiting_call(s, phone="+447700900123", waited_s=95, now=utcnow(), name="Maria Lopez")
    waiting_call(s, phone="+447700900456", queue="general", waited_s=20, now=utcnow(), name="John Smith",
                 reason="I want to update my CV on the website", intent="registration")
    s.commit()
    sign_in_on(page, base, "floor.lead")
    page.wait_for_selector("#phone-state.bad")
    assert "TWILIO" not in page.inner_text("#phone-state")  # setting names are for admins
    page.wait_for_selector("#rows tr")
    nav_links = page.locator(".mainnav a").count()
    assert nav_links >= 3

    for name, width, height in SCREENS:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function(FITS)
        menu = page.locator(".menu-toggle")
        queue_box = page.locator(".queue-pane").bounding_box()
        summary_box = page.locator(".summary-pane").bounding_box()
        if width > 900:
            assert menu.is_hidden(), name
            assert page.evaluate(ON_SCREEN, "button.link[type=submit]"), name  # Sign out
            for i in range(nav_links):
                assert page.locator(".mainnav a").nth(i).is_visible(), name
            assert summary_box["x"] >= queue_box["x"] + queue_box["width"], name  # side by side
        else:
            assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false", name
            assert page.locator(".mainnav").is_hidden(), name
            menu.focus()
            page.keyboard.press("Enter")  # the menu button works from the keyboard
            page.wait_for_selector(".menu-toggle[aria-expanded=true]")
            page.wait_for_selector("button.link[type=submit]", state="visible")
            assert page.evaluate(ON_SCREEN, "button.link[type=submit]"), name
            for i in range(nav_links):
                assert page.evaluate(ON_SCREEN, f".mainnav a:nth-child({i + 1})"), name
            assert page.evaluate(FITS), name
            page.screenshot(path=str(SHOTS / f"desk-screen-{name}-menu.png"))
            page.keyboard.press("Escape")  # closes, and the focus is back on the button
            page.wait_for_selector(".menu-toggle[aria-expanded=false]")
            assert page.evaluate("() => document.activeElement.classList.contains('menu-toggle')")
            assert page.locator(".mainnav").is_hidden(), name
            # One column: the waiting list, then the caller below it.
            assert summary_box["y"] >= queue_box["y"] + queue_box["height"], name
        assert page.locator("#rows tr").first.is_visible()
        page.screenshot(path=str(SHOTS / f"desk-screen-{name}.png"), full_page=True)


def test_every_page_keeps_its_bar_on_a_phone(live, page, accounts):
    """The bar is the base template's: the same menu on the supervisor's and the admin's pages."""
    base, _ = live
    page.set_viewport_size({"width": 390, "height": 844})
    for username, lands, paths in (("supervisor1", "/desk", ["/wallboard", "/reports"]),
                                   ("admin1", "/admin/users", ["/admin/users"])):
        sign_in_on(page, base, username, lands=lands)
        for path in paths:
            page.goto(base + path)
            bar = page.locator(".topbar").bounding_box()
            assert bar["x"] + bar["width"] <= 390, path
            page.click(".menu-toggle")
            page.wait_for_selector("button.link[type=submit]", state="visible")
            assert page.evaluate(ON_SCREEN, "button.link[type=submit]"), path
            page.screenshot(path=str(SHOTS / f"screen-phone{path.replace('/', '-')}.png"))
        page.click("button.link[type=submit]")  # Sign out, from the menu
        page.wait_for_url(base + "/login")
