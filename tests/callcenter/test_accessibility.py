"""Issue 14: every page of Jobline, in Chromium, has no serious or critical axe-core violation of
WCAG 2.1 A/AA, each in the state a person meets it in: the desk with a caller waiting and with
one in progress, the web phone mid-call, the reports with figures, the search with a result.

One live server with a few weeks of demo calls and one Chromium for the module; a signed-in
browser context per role. A page of the top navigation without its own case below is still
checked (test_every_other_nav_page), so a new page is covered the day it is added."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from werkzeug.serving import make_server

from callcenter import nav_pages
from callcenter.access import rule_for
from callcenter.accounts.users import create_user
from callcenter.demo.seed import seed_demo
from config import settings
from db import session as db
from db.models import Base, User, utcnow
from tests.support.axe import assert_accessible
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD, waiting_call
from tests.support.env import ACCOUNT, CALLER_ID, TOKEN, fresh_redis
from tests.support.fake_twilio import FakeTwilio
from tests.support.live import free_port

# The markup does not depend on the database: SQLite only, to keep one server for the module.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
ROLES = {"agent": "agent1", "busy agent": "agent2", "wrapping agent": "agent3", "supervisor": "super1",
         "admin": "admin1"}
WAITING_PHONE = "+447700900123"


@dataclass
class Site:
    base: str
    app: Any
    browser: Any
    contexts: dict[str, Any] = field(default_factory=dict)

    def page_as(self, role: str | None) -> Any:
        """A new tab of the role's signed-in browser (None: nobody signed in)."""
        if role not in self.contexts:
            context = self.browser.new_context(viewport={"width": 1366, "height": 768})
            if role is not None:
                tab = context.new_page()
                tab.goto(self.base + "/login")
                tab.fill("input[name=username]", ROLES[role])
                tab.fill("input[name=password]", PASSWORD)
                tab.click("button[type=submit]")
                tab.wait_for_selector("nav.mainnav")
                tab.close()
            self.contexts[role] = context
        tab = self.contexts[role].new_page()
        tab.on("pageerror", lambda e: print("PAGE ERROR", e))
        return tab


def _seed(app: Any) -> None:
    now = utcnow()
    seed_demo(db.SessionLocal, days=7, calls=400, seed=5, now=now)  # figures for every report
    with db.SessionLocal() as s:
        for role, username in ROLES.items():
            create_user(s, username, f"Test {role.title()}", role.split()[-1], PASSWORD,
                        queues=["general", "benefits"] if "agent" in role else [],
                        languages=["en", "es"], phone="+447700900999")
        waiting_call(s, phone=WAITING_PHONE, waited_s=70, now=now)
        waiting_call(s, phone="+447700900789", language="es", waited_s=8, now=now,
                     name="Lucía Fernández", reason="no he recibido el pago")
        talking = waiting_call(s, phone="+447700900456", queue="general", waited_s=200, now=now,
                               name="John Smith", reason="I want to update my CV", intent="registration")
        s.flush()
        busy = s.query(User).filter_by(username=ROLES["busy agent"]).one()
        talking.status, talking.agent_id = "connected", busy.id
        talking.answered_at = now - timedelta(minutes=2)
        busy.status = "busy"
        wrapping = s.query(User).filter_by(username=ROLES["wrapping agent"]).one()
        done = waiting_call(s, phone="+447700900321", queue="general", waited_s=400, now=now)
        done.status, done.agent_id, done.outcome = "ended", wrapping.id, "answered"
        done.answered_at, done.ended_at = now - timedelta(minutes=5), now - timedelta(minutes=1)
        wrapping.status = "after_call"
        s.commit()


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
    base = f"http://127.0.0.1:{free_port()}"
    app = create_app({
        "ENV_NAME": "production", "TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": base, "TWILIO_CALLER_ID": CALLER_ID, "CLOCK": utcnow, "INSTANCE": folder,
        "TWILIO_HTTP_CLIENT": FakeTwilio(), "RECORDINGS_DIR": str(folder), "DEMO_PHONE": True,
    })
    _seed(app)
    server = make_server("127.0.0.1", int(base.rsplit(":", 1)[1]), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield Site(base, app, browser)
            browser.close()
    finally:
        server.shutdown()


def _desk_waiting(tab: Any, base: str) -> None:
    tab.goto(base + "/desk")
    tab.click("button.status[data-status=available]")
    tab.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
    tab.wait_for_selector("#rows tr")
    tab.wait_for_selector("#summary ol.path li")


def _desk_on_call(tab: Any, base: str) -> None:
    tab.goto(base + "/desk")
    tab.wait_for_selector(".oncall")
    tab.wait_for_selector("#summary ol.path li")


def _desk_keys(tab: Any, base: str) -> None:
    _desk_waiting(tab, base)
    tab.click("#keys-open")
    tab.wait_for_selector("dialog#help[open]")


def _desk_hang_up_question(tab: Any, base: str) -> None:
    _desk_on_call(tab, base)
    tab.keyboard.press("1")  # a disposition, then Done while the caller is still on the line
    tab.keyboard.press("d")
    tab.wait_for_selector("dialog#hang-up[open]")


def _desk_after_call(tab: Any, base: str) -> None:
    tab.goto(base + "/desk")
    tab.wait_for_selector(".oncall.acw")


def _login_refused(tab: Any, base: str) -> None:
    tab.goto(base + "/login")
    tab.fill("input[name=username]", ROLES["agent"])
    tab.fill("input[name=password]", "not the password")
    tab.click("button[type=submit]")
    tab.wait_for_selector(".error, [role=alert]")


def _account_made(tab: Any, base: str) -> None:
    tab.goto(base + "/admin/users")
    tab.fill("input[name=name]", "New Adviser")
    tab.fill("input[name=username]", "newadviser")
    tab.check("input[name=queues][value=general]")
    tab.click("button[type=submit].primary")
    tab.wait_for_selector("text=newadviser")


def _flow_draft_checked(tab: Any, base: str) -> None:
    tab.goto(base + "/flow")
    draft = settings.IVR_FILE.read_text(encoding="utf-8")
    tab.fill("#draft", draft.replace("en: Welcome", "en: Hello and welcome", 1))
    tab.click("section.draft button[type=submit]")
    tab.wait_for_selector("text=Flow map draft")
    tab.wait_for_selector("svg.flowmap")


def _phone_mid_call(tab: Any, base: str) -> None:
    tab.goto(base + "/phone")
    tab.uncheck("#speak")  # headless Chromium has no voices; the prompts are on screen
    tab.click("#call")
    tab.wait_for_selector("#heard li")
    tab.wait_for_selector('.key[data-key="1"]:enabled')


def _privacy_found(tab: Any, base: str) -> None:
    tab.goto(base + "/admin/privacy")
    tab.fill("input[name=phone]", WAITING_PHONE)
    tab.click("button[type=submit].primary")
    tab.wait_for_selector("#holdings")


def _user_page(tab: Any, base: str) -> None:
    tab.goto(base + "/admin/users")
    tab.click(f"tr:has-text('{ROLES['agent']}') a")
    tab.wait_for_url("**/admin/users/*")


def _path(path: str, ready: str = "main") -> Callable[[Any, str], None]:
    def visit(tab: Any, base: str) -> None:
        tab.goto(base + path)
        tab.wait_for_selector(ready)

    return visit


# (case name, role, what a person does to reach the page in that state)
PAGES: list[tuple[str, str | None, Callable[[Any, str], None]]] = [
    ("login", None, _path("/login", "input[name=username]")),
    ("login, refused", None, _login_refused),
    ("not found, signed out", None, _path("/no-such-page")),
    ("desk, a caller waiting", "agent", _desk_waiting),
    ("desk, a call in progress", "busy agent", _desk_on_call),
    ("desk, hang up first?", "busy agent", _desk_hang_up_question),
    ("desk, after-call work", "wrapping agent", _desk_after_call),
    ("desk, keyboard shortcuts", "agent", _desk_keys),
    ("desk of a supervisor", "supervisor", _path("/desk", "#rows")),
    ("web phone", "supervisor", _path("/phone", "#call")),
    ("web phone, mid-call", "agent", _phone_mid_call),
    ("wallboard", "supervisor", _path("/wallboard", ".wb-queue")),
    ("reports: queues", "supervisor", _path("/reports", "table tbody tr")),
    ("reports: advisers", "supervisor", _path("/reports/advisers", "table tbody tr")),
    ("reports: IVR", "supervisor", _path("/reports/ivr", "table tbody tr")),
    ("reports: a bad filter", "supervisor", _path("/reports?from=yesterday")),
    ("flow map", "supervisor", _path("/flow", "svg")),
    ("flow map, a draft checked", "supervisor", _flow_draft_checked),
    ("users", "admin", _path("/admin/users", "table tbody tr")),
    ("a user", "admin", _user_page),
    ("users, an account made", "admin", _account_made),
    ("audit log", "admin", _path("/admin/audit", "table tbody tr")),
    ("privacy search", "admin", _path("/admin/privacy", "input[name=phone]")),
    ("privacy search, a person found", "admin", _privacy_found),
    ("password", "agent", _path("/account/password", "input[type=password]")),
    ("not found, signed in", "agent", _path("/no-such-page")),
    ("not for your role", "agent", _path("/admin/users")),
]
CHECKED = {"/login", "/desk", "/phone", "/wallboard", "/reports", "/flow", "/admin/users", "/admin/audit",
           "/admin/privacy", "/account/password"}


@pytest.mark.parametrize(("name", "role", "visit"), PAGES, ids=[p[0] for p in PAGES])
def test_the_page_has_no_serious_accessibility_problem(site: Site, name: str, role: str | None,
                                                       visit: Any) -> None:
    tab = site.page_as(role)
    try:
        visit(tab, site.base)
        shot = "".join(c if c.isalnum() else "-" for c in name)
        tab.screenshot(path=str(SHOTS / f"h5-a11y-{shot}.png"), full_page=True)
        assert_accessible(tab, name)
    finally:
        tab.close()


def _role_for(app: Any, path: str) -> str:
    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule == path)
    allowed = rule_for(app, endpoint)
    return next(role for role in ("supervisor", "admin", "agent") if role in allowed)


def test_every_other_nav_page(site: Site) -> None:
    """Pages of the top navigation with no case of their own above, as a role that may open them."""
    others = [(label, path) for label, path in nav_pages(site.app) if path not in CHECKED]
    for label, path in others:
        tab = site.page_as(_role_for(site.app, path))
        try:
            _path(path)(tab, site.base)
            assert_accessible(tab, f"{label} ({path})")
        finally:
            tab.close()


def test_the_cases_cover_what_the_nav_shows(site: Site) -> None:
    """What each role's top bar links to is the app's nav (nothing hidden from these checks)."""
    nav = {path for _, path in nav_pages(site.app)}
    for role in ("agent", "supervisor", "admin"):
        tab = site.page_as(role)
        try:
            tab.goto(site.base + "/account/password")
            links = {tab.evaluate("a => new URL(a.href).pathname", a)
                     for a in tab.query_selector_all("nav.mainnav a")}
            assert links and links <= nav, f"{role}'s top bar links to pages nav_pages() does not list"
        finally:
            tab.close()
