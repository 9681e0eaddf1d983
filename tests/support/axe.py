"""axe-core (npm, pinned in package.json) run in the page a browser test has open: WCAG 2.1 A and
AA rules, and a failure for every violation a person relying on a screen reader, a keyboard or
good contrast would be stopped by (impact serious or critical)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.env import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def violations(page: Any) -> list[dict]:
    """axe.run on the whole document as it is now; the violations of the WCAG 2.1 A/AA rules."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make system-deps` (npm ci) to install axe-core")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, not page.add_script_tag: Jobline's CSP (script-src
        # 'self') rightly refuses an inline script tag, and the page must be checked with its CSP on,
        # as people get it (a blocked inline style changes what they see).
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return result["violations"]


def describe(found: list[dict]) -> str:
    """Each violation's rule, what it asks, and the selectors of the elements that break it (with
    axe's reason, e.g. the contrast ratio and the two colours)."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} - {v['helpUrl']}")
        for node in v["nodes"]:
            why = [check["message"] for check in node["any"] + node["all"] + node["none"]]
            lines.append(f"    {' '.join(map(str, node['target']))}  ({'; '.join(why)[:200]})")
    return "\n".join(lines)


def assert_accessible(page: Any, what: str = "") -> None:
    """Fail naming the page, each serious or critical violation and its elements."""
    found = [v for v in violations(page) if v["impact"] in BLOCKING]
    assert not found, f"axe-core on {what or page.url}:\n{describe(found)}"
