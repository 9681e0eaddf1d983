"""The web phone in Chromium: a helpline served on a free port with the phone on, an adviser or a
caller signed in through the login form, and waits tied to what the page says or shows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support.browser import CHROMIUM, served
from tests.support.desk import PASSWORD
from tests.support.live import free_port


@contextmanager
def phone_line(make_app: Any, **config: Any) -> Iterator[tuple[str, Any]]:
    """The app (with `config`) served on a free port it knows as its public address, web phone on."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(PUBLIC_BASE_URL=base, DEMO_PHONE=True, **config)
    with served(app, port):
        yield base, app


def sign_in(browser: Any, base: str, username: str) -> Any:
    """A new browser window signed in as `username` through the login form."""
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.on("pageerror", lambda e: print("PAGE ERROR", e))
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def hears(page: Any, text: str, timeout: float = 20_000) -> None:
    """Wait until the caller has heard `text` (the page lists what the caller hears)."""
    page.wait_for_function("t => document.getElementById('heard').innerText.includes(t)", arg=text,
                           timeout=timeout)


def status_is(page: Any, text: str, timeout: float = 20_000) -> None:
    """Wait until the phone's status line starts with `text`."""
    page.wait_for_function("t => document.getElementById('status').innerText.startsWith(t)", arg=text,
                           timeout=timeout)
