"""The wallboard and the reports in Chromium: the numbers on screen are the API's numbers, and the
wallboard changes without a reload. Screenshots go to /tmp (JOBLINE_SCREENSHOTS to change)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from callcenter.accounts import users as accounts
from callcenter.demo.seed import seed_demo
from callcenter.reports.metrics import shown
from db import session as db
from db.models import Call, QueueEntry
from tests.support.browser import CHROMIUM, SHOTS, chromium, served
from tests.support.reports_script import NOW

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery 9"
PERIOD = {"from": "2026-11-11", "to": "2026-11-24"}


def _serve(app, *, seed: bool) -> Iterator[str]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    if seed:
        seed_demo(db.SessionLocal, days=14, calls=6000, seed=11, now=NOW)
    with db.SessionLocal() as s:
        accounts.create_user(s, "sup", "Sam Supervisor", "supervisor", password=PASSWORD)
        s.commit()
    with served(app) as base:
        yield base


@pytest.fixture
def live(reports_app) -> Iterator[str]:
    yield from _serve(reports_app, seed=True)


@pytest.fixture
def quiet_live(reports_app) -> Iterator[str]:
    """The reports served with no calls: for what the form does, not for figures."""
    yield from _serve(reports_app, seed=False)


@contextmanager
def _signed_in(live: str) -> Iterator[Any]:
    with chromium(1920, 1080) as page:
        page.goto(live + "/login")
        page.fill("input[name=username]", "sup")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        yield page


@pytest.fixture
def page(live):
    with _signed_in(live) as page:
        yield page


def api(page, path: str) -> dict:
    fetch = "async (p) => (await fetch(p, {headers: {Accept: 'application/json'}})).json()"
    return page.evaluate(fetch, path)


def tile(page, queue: str, metric: str) -> str:
    return page.locator(f'[data-queue="{queue}"] [data-metric="{metric}"] .wb-value').inner_text()


def test_wallboard_matches_the_api_and_updates_without_reload(live, page):
    page.goto(live + "/wallboard")
    board = api(page, "/api/wallboard")
    assert page.locator('[data-field="in_ivr"]').inner_text() == str(board["in_ivr"])
    for q in board["queues"]:
        assert tile(page, q["queue"], "waiting") == str(q["waiting"])
        assert tile(page, q["queue"], "available") == str(q["available"])
        assert tile(page, q["queue"], "on_call") == str(q["on_call"])
        assert tile(page, q["queue"], "callbacks_pending") == str(q["callbacks_pending"])
        # Halves round up on the page, as the script's Math.round does on each update (68.5 -> 69%).
        sl = "—" if q["service_level"] is None else f"{math.floor(q['service_level'] + 0.5)}%"
        assert tile(page, q["queue"], "service_level") == sl
        breached = "breach" in page.locator(f'[data-queue="{q["queue"]}"] [data-metric="service_level"]')\
            .get_attribute("class")
        assert breached == ("service_level" in q["breach"])
    page.screenshot(path=str(SHOTS / "wallboard.png"))

    before = int(tile(page, "employers", "waiting"))
    with db.SessionLocal() as s:
        call = Call(sid="CA" + "f" * 32, started_at=NOW - timedelta(minutes=3), status="in-progress")
        s.add(call)
        s.flush()
        s.add(QueueEntry(call_id=call.id, queue="employers", enqueued_at=NOW - timedelta(minutes=2),
                         status="waiting"))
        s.commit()
    started = time.monotonic()
    page.wait_for_function(
        "([n]) => document.querySelector('[data-queue=employers] [data-metric=waiting] .wb-value')"
        ".textContent === String(n)", arg=[before + 1], timeout=4000)
    assert time.monotonic() - started < 2.5  # on the wall within about two seconds, no reload
    longest = page.locator('[data-queue="employers"] [data-metric="longest_wait_s"]')
    assert "breach" in longest.get_attribute("class")


def test_reports_pages_match_the_api(live, page):
    query = "&".join(f"{k}={v}" for k, v in PERIOD.items())
    page.goto(f"{live}/reports?{query}")
    stats = api(page, f"/api/stats?{query}")
    for key, unit in (("offered", ""), ("service_level", "%"), ("abandonment_rate", "%"), ("asa_s", "s")):
        kpi = page.locator(f'.rp-kpi[data-metric="{key}"] .rp-kpi-value')
        assert kpi.inner_text() == shown(stats[key], unit)
    for name, figures in stats["queues"].items():
        cell = page.locator(f'#queue-table tr[data-metric="service_level"] td[data-queue="{name}"]')
        assert cell.inner_text() == shown(figures["service_level"], "%")
        cell = page.locator(f'#queue-table tr[data-metric="offered"] td[data-queue="{name}"]')
        assert cell.inner_text() == shown(figures["offered"])
    assert page.locator("svg.chart").count() >= 3
    page.screenshot(path=str(SHOTS / "reports.png"), full_page=True)

    page.goto(f"{live}/reports/advisers?{query}")
    total = page.locator('#adviser-table tr[data-agent="all"]')
    assert total.locator('[data-metric="aht_s"]').inner_text() == shown(stats["advisers"]["aht_s"], "s")
    occupancy = total.locator('[data-metric="occupancy"]').inner_text()
    assert occupancy == shown(stats["advisers"]["occupancy"], "%")
    page.screenshot(path=str(SHOTS / "reports_advisers.png"), full_page=True)

    page.goto(f"{live}/reports/ivr?{query}")
    assert page.locator('.rp-kpi[data-metric="containment"] .rp-kpi-value').inner_text() == shown(
        stats["ivr"]["containment"], "%")
    page.screenshot(path=str(SHOTS / "reports_ivr.png"), full_page=True)


def test_a_preset_fills_the_period_and_shows_it(quiet_live):
    with _signed_in(quiet_live) as page:
        page.goto(f"{quiet_live}/reports/advisers?from=2026-11-23&to=2026-11-23")
        page.get_by_role("link", name="Last 7 days").click()
        # NOW is Tuesday 24 November 2026: the last 7 days run from Wednesday 18th.
        page.get_by_role("heading", name="Advisers, 2026-11-18 to 2026-11-24").wait_for()
        assert page.input_value("input[name=from]") == "2026-11-18"
        assert page.input_value("input[name=to]") == "2026-11-24"
        current = page.locator('.rp-presets a[aria-current="true"]')
        assert current.inner_text() == "Last 7 days"
        exact = page.locator('dd[data-metric="aht_s"] details')
        assert not exact.locator("code").is_visible()  # plain words first, the formula one click away
        exact.locator("summary").click()
        exact.locator("code", has_text="ended_at → wrapped_at").wait_for(state="visible")
        page.screenshot(path=str(SHOTS / "reports_preset.png"), full_page=True)
