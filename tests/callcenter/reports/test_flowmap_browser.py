"""The flow map in Chromium, as a supervisor reads it: boxes say what callers hear in the chosen
language, no two labels overlap, and each box carries the IVR report's drop-off figures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from callcenter.accounts import users as accounts
from config.settings import ROOT
from db import session as db
from tests.support.browser import CHROMIUM, SHOTS, chromium, served
from tests.support.reports_script import D, at

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery 9"
DAY = "from=2026-11-23&to=2026-11-23"
# (nodes the caller went through, how the call ended), several of each, on day D
PATHS = [(("main",), "ivr_hangup")] * 3 + [(("main", "benefits"), "ivr_hangup")] * 2 + [
    (("main", "benefits", "benefit_dates"), "self_service")] * 4 + [
    (("main", "benefits", "benefit_id", "adviser_benefits"), "answered")] * 2 + [
    (("main", "register"), "ivr_hangup"), (("main", "employers", "employer_post"), "self_service")]

OVERLAPS = """() => {
  const texts = [...document.querySelectorAll('#flowmap text')].map(t => {
    const b = t.getBBox(); return {x: b.x, y: b.y, w: b.width, h: b.height, text: t.textContent};
  });
  const bad = [];
  texts.forEach((a, i) => texts.slice(i + 1).forEach(b => {
    if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) bad.push([a.text, b.text]);
  }));
  return {count: texts.length, bad: bad};
}"""
OUTSIDE = """() => [...document.querySelectorAll('#flowmap g.node, #flowmap g.edge-text')].flatMap(g => {
  const r = g.querySelector('rect').getBBox();
  return [...g.querySelectorAll('text')].map(t => t.getBBox()).filter(b =>
    b.x < r.x || b.y < r.y || b.x + b.width > r.x + r.width || b.y + b.height > r.y + r.height)
    .map(() => g.textContent);
})"""


@pytest.fixture
def live(reports_app, script) -> Iterator[str]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    for k, (nodes, outcome) in enumerate(PATHS):
        script.call(at(D, 9, k), outcome, nodes=nodes)
    script.s.commit()
    with db.SessionLocal() as s:
        accounts.create_user(s, "sup", "Sam Supervisor", "supervisor", password=PASSWORD)
        s.commit()
    with served(reports_app) as base:
        yield base


@pytest.fixture
def page(live) -> Iterator[Any]:
    with chromium(1600, 1000) as page:
        page.goto(live + "/login")
        page.fill("input[name=username]", "sup")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        yield page


def box(page, node: str) -> str:
    return " ".join(page.locator(f'#flowmap g.node[data-node="{node}"] text').all_text_contents())


def test_no_two_labels_overlap_in_any_language(live, page):
    page.goto(f"{live}/flow?{DAY}")
    page.wait_for_selector('#flowmap g.node[data-node="main"]')
    for lang in ("en", "es", "fr", "ko", "sw"):
        page.select_option("#fm-lang", lang)
        page.wait_for_selector(f'#flowmap text.heard[lang="{lang}"]')
        found = page.evaluate(OVERLAPS)
        assert found["count"] > 17 * 3  # every box has its kind, what is heard and the figures
        assert found["bad"] == [], lang
        assert page.evaluate(OUTSIDE) == [], lang  # and every line stays inside its box or label
        if lang == "en":
            page.screenshot(path=str(SHOTS / "h4-flowmap.png"), full_page=True)


def test_each_box_shows_the_ivr_reports_drop_off_for_the_period(live, page):
    page.goto(f"{live}/reports/ivr?{DAY}")
    rows = page.locator("#dropoff-table tbody tr")
    report = {rows.nth(i).get_attribute("data-node"): rows.nth(i).locator("td").all_inner_texts()
              for i in range(rows.count())}
    assert report["main"] == ["13", "3", "23.1%"]  # the report counts what the script wrote
    page.goto(f"{live}/flow?{DAY}")
    page.wait_for_selector('#flowmap g.node[data-node="main"]')
    for node, (entered, hangups, drop_off) in report.items():
        assert f"{entered} reached {hangups} hung up here ({drop_off})" in box(page, node)
        item = page.locator(f'.fm-steps[data-lang="en"] li[data-node="{node}"] .fm-figures')
        assert item.inner_text() == f"{entered} reached, {hangups} hung up here ({drop_off})"
    assert "0 reached 0 hung up here (—)" in box(page, "offices")  # no caller went there that day
    page.screenshot(path=str(SHOTS / "h4-flowmap-figures.png"))


def test_switching_language_shows_that_languages_prompts(live, page):
    page.goto(f"{live}/flow?{DAY}")
    page.wait_for_selector('#flowmap g.node[data-node="main"]')
    assert "Main menu. To register as a jobseeker, press 1." in box(page, "main")
    page.select_option("#fm-lang", "es")
    page.wait_for_selector('#flowmap g.node[data-node="main"] text.heard[lang="es"]')
    assert "Menú principal. Para inscribirse como demandante de empleo, pulse 1." in box(page, "main")
    assert "Main menu" not in box(page, "main")
    edges = " ".join(page.locator("#flowmap .edge text").all_text_contents())
    assert "2 · Para las prestaciones por desempleo" in edges
    assert "Prestaciones" in box(page, "adviser_benefits")  # the queue's own label, in Spanish
    assert page.locator('.fm-steps[data-lang="es"]').is_visible()
    assert not page.locator('.fm-steps[data-lang="en"]').is_visible()
    assert "lang=es" in page.url  # a reload or a shared link keeps the language
    page.reload()
    page.wait_for_selector('#flowmap g.node[data-node="main"] text.heard[lang="es"]')
    page.screenshot(path=str(SHOTS / "h4-flowmap-es.png"))


def test_a_draft_with_a_broken_option_is_drawn_with_the_mistake_in_red(live, page):
    raw = yaml.safe_load((ROOT / "config" / "ivr.yaml").read_text(encoding="utf-8"))
    raw["nodes"]["main"]["options"]["4"]["next"] = "employerz"
    page.goto(f"{live}/flow")
    page.fill("#draft", yaml.safe_dump(raw, allow_unicode=True))
    page.get_by_role("button", name="Check and draw").click()
    page.get_by_text("This flow would not start:").wait_for()
    broken = page.locator("#flowmap g.node.broken")
    assert " ".join(broken.locator("text").all_text_contents()) == "employerz? No step has that name."
    assert page.evaluate(OVERLAPS)["bad"] == [] and page.evaluate(OUTSIDE) == []
    unreachable = page.locator("#flowmap g.node.unreachable")
    assert {unreachable.nth(i).get_attribute("data-node") for i in range(unreachable.count())} == {
        "employers", "employer_post"}  # no option leads to the employers' menu now, nor past it
    assert page.locator(".fm-figures").count() == 0  # a draft has had no calls
    page.screenshot(path=str(SHOTS / "h4-flowmap-draft.png"))
