"""Chromium for the page tests: the app served on a free port with Twilio's REST side answered by
FakeTwilio, a headless page, and signing in through the login form as a person does. Screenshots go
to /tmp (JOBLINE_SCREENSHOTS to change) for a person to look at."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from db.models import utcnow
from tests.support.desk import PASSWORD
from tests.support.fake_twilio import FakeTwilio

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("JOBLINE_SCREENSHOTS", "/tmp"))



@contextmanager
def served(app: Any, port: int = 0) -> Iterator[str]:
    """`app` under werkzeug's threaded server on 127.0.0.1 (a free port unless given): its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture
def live(make_app, tmp_path) -> Iterator[tuple[str, FakeTwilio]]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    fake = FakeTwilio()
    app = make_app(CLOCK=utcnow, TWILIO_HTTP_CLIENT=fake, RECORDINGS_DIR=str(tmp_path),
                   PUBLIC_BASE_URL="https://jobline.test")
    with served(app) as base:
        yield base, fake


@contextmanager
def chromium(width: int = 1366, height: int = 768) -> Iterator[Any]:
    """A headless Chromium page of that size; page errors and console lines go to the test's output."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.on("pageerror", lambda e: print("PAGE ERROR", e))
        page.on("console", lambda m: print("CONSOLE", m.text))
        yield page
        browser.close()


@pytest.fixture
def page(live):
    with chromium() as page:
        yield page


def sign_in_on(page, base: str, username: str, lands: str = "/desk") -> None:
    """Sign in through the login form, as a person does, and wait for the page it leads to."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + lands)
