"""The flow map: an editor sees the flow as a graph and checks a draft before it goes live."""

from __future__ import annotations

import html as markup
import json
import re

import yaml

from config.settings import ROOT

SHIPPED = (ROOT / "config" / "ivr.yaml").read_text(encoding="utf-8")


def drawn(html: str) -> dict:
    """What the page hands the map's script to draw (steps, options, figures)."""
    found = re.search(r'<script type="application/json" id="flowmap-data">(.*?)</script>', html, re.S)
    assert found, "the page carries no flow map data"
    return json.loads(found.group(1))


def node_classes(html: str) -> dict[str, str]:
    """Each step's warnings as the text list shows them (class of its item, first language)."""
    first = html[:html.index("</section>", html.index('class="fm-steps"'))]
    return dict(re.findall(r'<li id="step-\w+-(\w+)" data-node="\w+" class="([^"]*)"', first))


def broken_options(html: str) -> list[str]:
    first = html[:html.index("</section>", html.index('class="fm-steps"'))]
    items = re.findall(r'<li class="fm-option broken">(.*?)</li>', first, re.S)
    return [" ".join(markup.unescape(re.sub(r"<[^>]+>", " ", i)).split()) for i in items]


def test_every_step_of_the_live_flow_is_drawn_and_valid(signed_in):
    html = signed_in("agent").get("/flow").get_data(as_text=True)
    assert "This flow is valid: 17 steps in 5 languages (en, es, fr, ko, sw)." in " ".join(html.split())
    nodes = node_classes(html)
    assert set(nodes) == set(yaml.safe_load(SHIPPED)["nodes"])
    actions = {n["id"]: n["action"] for n in drawn(html)["nodes"]}
    assert actions["main"] == "menu" and actions["adviser"] == "queue"
    assert not any("missing" in c or "unreachable" in c for c in nodes.values())
    assert "Check a draft" not in html  # agents look; supervisors and admins check drafts
    assert drawn(html)["figures"] is None  # the IVR report's figures are for supervisors


def test_steps_are_named_by_what_the_caller_hears_and_options_by_their_label(signed_in):
    html = signed_in("supervisor").get("/flow?lang=fr").get_data(as_text=True)
    data = drawn(html)
    assert data["lang"] == "fr" and data["languages"] == ["en", "es", "fr", "ko", "sw"]
    main = next(n for n in data["nodes"] if n["id"] == "main")
    assert main["short"]["en"] == "Main menu. To register as a jobseeker, press 1."
    assert main["short"]["ko"] == "주 메뉴입니다. 구직자 등록은, 1번을 누르세요."
    name = next(n for n in data["nodes"] if n["id"] == "ask_name")
    assert name["short"]["en"].endswith("To skip this, press star.")  # {skip} said as the key's name
    labels = [e["label"]["fr"] for e in data["edges"] if e["source"] == "main"]
    assert "2 · Pour les allocations chômage" in labels
    french = html[html.index('data-lang="fr"'):]
    assert "Menu principal. Pour vous inscrire comme demandeur d&#39;emploi, appuyez sur 1." in french
    assert '<section class="fm-steps" data-lang="en" hidden' in html  # the chosen language is shown
    assert set(data["figures"]) == {n["id"] for n in data["nodes"]}  # supervisors get the figures
    # and the text list, which needs no script, says the same for every step, in every language
    assert html.count('<span class="fm-figures" data-entered="0" data-hangups="0"') == 17 * 5
    assert "0 reached, 0 hung up here (—)" in french


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
    nodes = node_classes(html)
    assert "missing" in nodes["vacancies"] and "unreachable" in nodes["orphan"]
    assert broken_options(html) == ["4 · If you are an employer → employerz? No step has that name."]
    assert [e["target"] for e in drawn(html)["edges"] if e["broken"]] == ["employerz"]


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
    # The page holds the live map, the draft and the sentence, nothing expanded.
    assert len(html) < len(desk.get("/flow").get_data(as_text=True)) + 2 * len(draft) + 10_000


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
    broken = broken_options(html)
    assert len(broken) == 1 and "employers" in broken[0]


def test_a_queue_with_the_caller_survey_shows_its_question_after_it(signed_in):
    html = signed_in("supervisor").get("/flow").get_data(as_text=True)
    steps = {n["id"]: n for n in drawn(html)["nodes"]}
    question = "Before you go, how well did we help you today? Press 1 for not at all, up to 5 for very well."
    assert steps["adviser_employers"]["survey"]["en"] == question  # employers: survey: true
    assert steps["adviser_employers"]["survey"]["ko"].startswith("끊으시기 전에")
    assert steps["adviser"]["survey"] == {}  # the general queue asks nothing
    item = html.split('<li id="step-en-adviser_employers"', 1)[1].split("</li>", 1)[0]
    assert f"callers still on the line are asked: <q lang=\"en\">{question}</q>" in " ".join(item.split())
