"""Issue 14: every page of Jobline, in Chromium, has no serious or critical axe-core violation of
WCAG 2.1 A/AA, each in the states people meet it in: the desk with callers waiting, on a call,
wrapping up, transferring, asking before it hangs up; the web phone mid-call; the reports with
figures; the admin pages after an action; refusals and error pages; a phone-sized screen with the
top bar's menu open (tests/support/page_states.py).

One live server with a week of demo calls and one Chromium for the module; a signed-in browser
context per role. A page of the top navigation without a case of its own below is still checked
(test_every_other_nav_page), so a new page is covered the day it is added."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import delete
from werkzeug.serving import make_server

from callcenter import nav_pages
from callcenter.access import rule_for
from db import session as db
from db.models import Base, utcnow
from tests.support import page_states as states
from tests.support.axe import assert_accessible
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.env import ACCOUNT, CALLER_ID, TOKEN, fresh_redis
from tests.support.fake_twilio import FakeTwilio
from tests.support.live import free_port

# The markup does not depend on the database: SQLite only, to keep one server for the module.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
opened = states.opened


@dataclass
class Site:
    base: str
    app: Any
    browser: Any
    contexts: dict[str, Any] = field(default_factory=dict)

    def tab_as(self, role: str | None) -> Any:
        """A new tab of the role's signed-in browser (None: nobody signed in)."""
        if role not in self.contexts:
            context = self.browser.new_context(viewport={"width": 1366, "height": 768})
            if role is not None:
                tab = context.new_page()
                tab.goto(self.base + "/login")
                tab.fill("input[name=username]", states.USERS[role])
                tab.fill("input[name=password]", PASSWORD)
                tab.click("button[type=submit]")
                tab.wait_for_selector("nav.mainnav")
                tab.close()
            self.contexts[role] = context
        tab = self.contexts[role].new_page()
        tab.on("pageerror", lambda e: print("PAGE ERROR", e))
        return tab


@pytest.fixture(scope="module")
def site(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from playwright.sync_api import sync_playwright

    from run import create_app

    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("a11y")
    fresh_redis(redis_url)
    with db.configure(database_url).begin() as conn:  # what make_app does, once for the module
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
    base = f"http://127.0.0.1:{free_port()}"  # the web phone's calls come back to this address
    app = create_app({
        "ENV_NAME": "production", "TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": base, "TWILIO_CALLER_ID": CALLER_ID, "CLOCK": utcnow, "INSTANCE": folder,
        "TWILIO_HTTP_CLIENT": FakeTwilio(), "RECORDINGS_DIR": str(folder), "DEMO_PHONE": True,
    })
    states.seed_busy_day()
    server = make_server("127.0.0.1", int(base.rsplit(":", 1)[1]), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield Site(base, app, browser)
            browser.close()
    finally:
        server.shutdown()


# (case, who signs in, what they do to bring the page to that state)
PAGES: list[tuple[str, str | None, states.Visit]] = [
    ("sign-in", None, opened("/login", "input[name=username]")),
    ("sign-in refused", None, states.sign_in_refused),
    ("not found, signed out", None, opened("/no-such-page", "h1")),
    ("desk, callers waiting", "agent", states.desk_with_callers_waiting),
    ("desk, keyboard shortcuts", "agent", states.desk_keyboard_shortcuts),
    ("desk, on a call", "busy agent", states.desk_on_a_call),
    ("desk, asking before hanging up", "busy agent", states.desk_asking_before_hanging_up),
    ("desk, transferring", "busy agent", states.desk_transfer_dialog),
    ("desk, after-call work", "wrapping agent", states.desk_after_call_work),
    ("desk on a phone, the menu open", "busy agent", states.on_a_phone(states.desk_on_a_call)),
    ("desk of a supervisor, off duty", "supervisor", opened("/desk", "#rows tr")),
    ("desk, a failed callback", "supervisor", states.desk_failed_callback),
    ("web phone", "supervisor", opened("/phone", "#call")),
    ("web phone, mid-call", "agent", states.phone_mid_call),
    ("web phone, recording", "admin", states.phone_recording),
    ("wallboard", "supervisor", opened("/wallboard", ".wb-queue")),
    ("floor", "supervisor", states.floor_live),
    ("floor, one queue in Spanish", "admin", opened("/floor?queue=benefits&language=es", "#fl-advisers")),
    ("floor, a queue that does not exist", "supervisor", opened("/floor?queue=benfits", "#fl-error")),
    ("reports, queues", "supervisor", opened("/reports", "table tbody tr")),
    ("reports, advisers", "supervisor", opened("/reports/advisers", "table tbody tr")),
    ("reports, IVR", "supervisor", opened("/reports/ivr", "table tbody tr")),
    ("reports, caller survey", "supervisor", opened("/reports/survey", "table tbody tr")),
    ("reports, a bad filter", "supervisor", opened("/reports?from=yesterday", ".rp-error")),
    ("reports on a phone, the menu open", "admin", states.on_a_phone(opened("/reports", "table tbody tr"))),
    ("flow map", "supervisor", opened("/flow", "svg")),
    ("flow map, a draft checked", "supervisor", states.flow_draft_checked),
    ("users", "admin", opened("/admin/users", "table tbody tr")),
    ("a user", "admin", states.user_opened),
    ("users, an account made", "admin", states.account_made),
    ("audit log", "admin", opened("/admin/audit", "table tbody tr")),
    ("privacy requests", "admin", opened("/admin/privacy", "input[name=phone]")),
    ("privacy requests, a person found", "admin", states.person_found),
    ("password", "agent", opened("/account/password", "input[type=password]")),
    ("password refused", "agent", states.password_refused),
    ("not found, signed in", "agent", opened("/no-such-page", "h1")),
    ("not for your role", "agent", opened("/admin/users", "h1")),
]
# The nav pages the cases above open (the rest are checked by test_every_other_nav_page).
CASES_OPEN = {"/desk", "/phone", "/wallboard", "/floor", "/reports", "/flow", "/admin/users", "/admin/audit",
              "/admin/privacy"}


@pytest.mark.parametrize(("case", "role", "visit"), PAGES, ids=[p[0] for p in PAGES])
def test_the_page_has_no_serious_accessibility_problem(site: Site, case: str, role: str | None,
                                                       visit: states.Visit) -> None:
    tab = site.tab_as(role)
    try:
        visit(tab, site.base)
        tab.screenshot(path=str(SHOTS / f"a11y-{''.join(c if c.isalnum() else '-' for c in case)}.png"),
                       full_page=True)
        assert_accessible(tab, case)
    finally:
        tab.close()


def _role_for(app: Any, path: str) -> str | None:
    """A role that may open the page: a supervisor where allowed, else an admin, else an adviser."""
    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule == path)
    allowed = rule_for(app, endpoint)
    if not isinstance(allowed, frozenset):  # open to anyone, or to anyone signed in
        return "agent"
    return next(role for role in ("supervisor", "admin", "agent") if role in allowed)


def test_every_other_nav_page(site: Site) -> None:
    """Pages of the top navigation with no case of their own above, as a role that may open them."""
    for label, path in nav_pages(site.app):
        if path in CASES_OPEN:
            continue
        tab = site.tab_as(_role_for(site.app, path))
        try:
            opened(path)(tab, site.base)
            assert_accessible(tab, f"{label} ({path})")
        finally:
            tab.close()


def test_the_top_bar_links_only_to_nav_pages(site: Site) -> None:
    """What each role's top bar links to is nav_pages(): no page is left out of these checks."""
    nav = {path for _, path in nav_pages(site.app)}
    for role in ("agent", "supervisor", "admin"):
        tab = site.tab_as(role)
        try:
            tab.goto(site.base + "/account/password")
            links = {tab.evaluate("a => new URL(a.href).pathname", a)
                     for a in tab.query_selector_all("nav.mainnav a")}
            assert links and links <= nav, f"{role}'s top bar links to pages nav_pages() does not list"
        finally:
            tab.close()
