"""The flow map: an editor sees the flow as a graph and checks a draft before it goes live."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import yaml

from config.settings import ROOT

SHIPPED = (ROOT / "config" / "ivr.yaml").read_text(encoding="utf-8")
SVG = "{http://www.w3.org/2000/svg}"


def svg_of(html: str) -> ET.Element:
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end].replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def node_classes(svg: ET.Element) -> dict[str, str]:
    return {g.find(f"{SVG}text").text: g.get("class") for g in svg.iter(f"{SVG}g")
            if "node" in (g.get("class") or "").split()}


def test_every_step_of_the_live_flow_is_drawn_and_valid(signed_in):
    html = signed_in("agent").get("/flow").get_data(as_text=True)
    assert "This flow is valid: 17 steps in 4 languages (en, es, fr, ko)." in " ".join(html.split())
    nodes = node_classes(svg_of(html))
    assert set(nodes) == set(yaml.safe_load(SHIPPED)["nodes"])
    assert "menu" in nodes["main"] and "queue" in nodes["adviser"]
    assert not any("missing" in c or "unreachable" in c for c in nodes.values())
    assert "Check a draft" not in html  # agents look; supervisors and admins check drafts


def test_a_draft_with_a_missing_prompt_and_a_broken_option_is_highlighted(signed_in):
    raw = yaml.safe_load(SHIPPED)
    del raw["nodes"]["vacancies"]["text"]["es"]
    raw["nodes"]["main"]["options"]["4"]["next"] = "employerz"
    raw["nodes"]["orphan"] = {"action": "hangup"}
    draft = yaml.safe_dump(raw, allow_unicode=True)
    resp = signed_in("supervisor").send("POST", "/flow", None)  # JSON body: nothing pasted
    assert resp.status_code == 400
    desk = signed_in("supervisor")
    resp = desk.client.post("/flow", data={"draft": draft, "csrf_token": desk.token})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "This flow would not start:" in html
    assert "nodes.main.options.4.next: &#39;employerz&#39; is not a node" in html
    nodes = node_classes(svg_of(html))
    assert "missing" in nodes["vacancies"] and "unreachable" in nodes["orphan"]
    broken = [g for g in svg_of(html).iter(f"{SVG}g") if g.get("class") == "edge broken"]
    assert len(broken) == 1 and "employerz" in broken[0].find(f"{SVG}text").text


def test_a_draft_that_is_not_yaml_gets_a_sentence(signed_in):
    desk = signed_in("admin")
    resp = desk.client.post("/flow", data={"draft": "nodes: [unclosed", "csrf_token": desk.token})
    assert resp.status_code == 400 and "The draft is not valid YAML" in resp.get_data(as_text=True)


def test_agents_cannot_post_drafts(signed_in):
    desk = signed_in("agent")
    assert desk.client.post("/flow", data={"draft": SHIPPED, "csrf_token": desk.token}).status_code == 403


def _alias_bomb(levels: int = 4, width: int = 10) -> str:
    """A draft whose nested aliases expand to width**levels strings (the "billion laughs"; kept
    small here, 4 MB expanded, so the old code fails the test without exhausting the machine)."""
    lines = ['laugh: &l0 "' + "ha" * 200 + '"']
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    body = "\n".join(lines)
    return body + f"\nstart: main\nnodes:\n  main:\n    action: *l{levels}\n"


def test_a_draft_with_an_alias_bomb_is_refused_with_a_sentence(signed_in):
    draft = _alias_bomb()
    assert len(draft.encode()) < 30_000
    desk = signed_in("supervisor")
    resp = desk.client.post("/flow", data={"draft": draft, "csrf_token": desk.token})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "The draft repeats parts through YAML aliases (*name)" in html
    assert len(html) < 100_000  # the page holds the draft and the sentence, nothing expanded


def test_a_flow_without_aliases_is_still_checked(signed_in):
    desk = signed_in("supervisor")
    resp = desk.client.post("/flow", data={"draft": SHIPPED, "csrf_token": desk.token})
    assert resp.status_code == 200 and "This flow is valid" in resp.get_data(as_text=True)


def test_a_draft_with_a_list_where_a_node_name_belongs_is_drawn_not_a_500(signed_in):
    raw = yaml.safe_load(SHIPPED)
    raw["start"] = ["main", "benefits"]
    raw["nodes"]["main"]["options"]["4"]["next"] = {"node": "employers"}
    desk = signed_in("supervisor")
    resp = desk.client.post("/flow", data={"draft": yaml.safe_dump(raw, allow_unicode=True),
                                           "csrf_token": desk.token})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "This flow would not start:" in html
    broken = [g for g in svg_of(html).iter(f"{SVG}g") if g.get("class") == "edge broken"]
    assert len(broken) == 1 and "employers" in broken[0].find(f"{SVG}text").text
