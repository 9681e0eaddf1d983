"""config/ivr.yaml as a graph of what callers hear, for the flow map (callcenter/reports/flowmap.py).

Built leniently from the raw YAML, so that a draft with mistakes still shows where they are: a
step lacking a text in a configured language, an option leading to a step that does not exist,
a step no caller can reach. Each step is named by what the caller hears there, in every
language of the flow (placeholders such as {skip} filled with the key's spoken name); each
option by its key and label ("1 · To register as a jobseeker"). Where the boxes go is the
browser's business (dagre, see static/flowmap.js); this module only says what is in them.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from config import settings
from config.flow import build_flow
from config.flow_audio import audio_dir_of
from config.flow_texts import segments
from config.settings import ConfigError

SHORT = 110  # characters of what the caller hears kept on a box: a sentence or two
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What the caller hears at a step that has no text of its own: the flow's shared prompt for it.
SHARED_PROMPT = {"queue": "queue_joined", "voicemail": "voicemail", "hangup": "goodbye"}
# A step's action in the supervisors' words (and the box's colour class, static/flowmap.css).
KINDS = {"menu": "menu", "say": "information", "capture": "keyed-in answer", "record": "spoken answer",
         "queue": "adviser queue", "language": "language menu", "voicemail": "message", "hangup": "end"}


@dataclass
class MapNode:
    id: str
    action: str
    heard: dict[str, str] = field(default_factory=dict)  # language -> everything the caller hears
    short: dict[str, str] = field(default_factory=dict)  # language -> the first sentence or two
    queue: dict[str, str] = field(default_factory=dict)  # a queue step: language -> queue label
    # A queue step whose queue has `survey: true`: language -> the question after the call.
    survey: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # languages without a text here
    sms: dict[str, str] = field(default_factory=dict)  # language -> "Text message (key 1, 2 SMS): ..."
    reachable: bool = True
    kind: str = ""

    def __post_init__(self) -> None:
        self.kind = KINDS.get(self.action, self.action)


@dataclass
class MapEdge:
    source: str
    target: str
    label: dict[str, str]  # language -> "1 · To register as a jobseeker"
    broken: bool = False


@dataclass
class FlowMap:
    nodes: dict[str, MapNode]
    edges: list[MapEdge]
    languages: list[tuple[str, str]]  # (code, name), in the flow's order
    verdict: str | None  # the validator's error, None when the flow would boot

    @property
    def problems(self) -> int:
        return (sum(bool(n.missing) or not n.reachable for n in self.nodes.values())
                + sum(e.broken for e in self.edges) + (self.verdict is not None))

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.languages]

    def edges_from(self, node_id: str) -> list[MapEdge]:
        return [e for e in self.edges if e.source == node_id]

    def as_data(self) -> dict[str, Any]:
        """What static/flowmap.js draws (JSON-ready)."""
        return {"languages": self.codes, "nodes": [asdict(n) for n in self.nodes.values()],
                "edges": [asdict(e) for e in self.edges]}


def shorten(text: str, limit: int = SHORT) -> str:
    """The first sentence or two of text, as many whole sentences as fit in limit, else the
    first cut at a word with an ellipsis."""
    sentences = re.split(r"(?<=[.!?。])\s+", " ".join(text.split()))
    kept = ""
    for sentence in sentences[:2]:
        longer = f"{kept} {sentence}".strip()
        if len(longer) > limit:
            break
        kept = longer
    if kept:
        return kept
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Words:
    """The raw flow's words: key names, shared prompts, labels, filled leniently per language."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.prompts = _dict(raw.get("prompts"))
        self.keys = {**_dict(raw.get("keys")), **_dict(raw.get("answer_keys"))}

    def key(self, key: str, lang: str) -> str:
        return str(_dict(_dict(self.prompts.get("key_names")).get(lang)).get(key, key))

    def fill(self, text: Any, lang: str) -> str:
        """text with {adviser}, {skip}... said as the key's name; unknown placeholders kept."""
        def spoken(m: re.Match[str]) -> str:
            name = m.group(1)
            return self.key(str(self.keys[name]), lang) if name in self.keys else m.group(0)
        return PLACEHOLDER.sub(spoken, str(text))

    def shared(self, name: str, lang: str) -> str:
        said = _dict(self.prompts.get(name)).get(lang) or ""
        if isinstance(said, dict):  # a recorded prompt: its transcript (config/flow_audio.py)
            said = said.get("text") or ""
        return self.fill(said, lang)

    def option(self, key: str, label: str, lang: str) -> str:
        """A menu option as the caller hears it ("To register as a jobseeker, press 1.")."""
        template = str(_dict(self.prompts.get("option")).get(lang) or "{label}, {key}.")
        return template.replace("{label}", self.fill(label, lang)).replace("{key}", self.key(key, lang))


def _heard(spec: dict[str, Any], raw: dict[str, Any], words: _Words, lang: str) -> str:
    own = [_dict(spec.get(k)).get(lang) for k in ("prompt", "text")]
    text = next((words.fill(t, lang) for t in own if t), "")
    action = spec.get("action")
    if action == "menu":
        options = [(str(k), _dict(o.get("label")).get(lang)) for k, o in _dict(spec.get("options")).items()
                   if isinstance(o, dict)]
        text = " ".join([text, *(words.option(k, label, lang) for k, label in options if label)])
    elif action == "language":
        text = " ".join(str(x.get("choose") or "") for x in raw.get("languages") or [] if isinstance(x, dict))
    elif not text and action in SHARED_PROMPT:
        text = words.shared(SHARED_PROMPT[str(action)], lang)
    return text.strip()


def _texts(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = [spec[k] for k in ("prompt", "text", "sms") if isinstance(spec.get(k), dict)]
    found += [o.get("label") for o in _dict(spec.get("options")).values()
              if isinstance(o, dict) and isinstance(o.get("label"), dict)]
    return found


def _sms(spec: dict[str, Any], raw: dict[str, Any]) -> dict[str, str]:
    """A message's text by SMS (config/flow_texts.py), as the map says it: key, segments, words."""
    key = _dict(raw.get("answer_keys")).get("send_text", "?")
    return {lang: f"Text message (key {key}, {segments(str(text))} SMS): {text}"
            for lang, text in _dict(spec.get("sms")).items() if text}


def build_map(raw: Any, audio_dir: Path | None = None) -> FlowMap:
    """The graph of a parsed flow file (possibly invalid), with its problems marked; its
    recordings are looked for in audio_dir (default: beside the configured flow file)."""
    raw = _dict(raw)
    langs = [x for x in raw.get("languages") or [] if isinstance(x, dict) and x.get("code")]
    languages = [(str(x["code"]), str(x.get("name") or x["code"])) for x in langs]
    codes = [code for code, _ in languages]
    words = _Words(raw)
    specs = {str(k): v for k, v in _dict(raw.get("nodes")).items() if isinstance(v, dict)}
    queues = _dict(raw.get("queues"))
    nodes: dict[str, MapNode] = {}
    for node_id, spec in specs.items():
        heard = {lang: _heard(spec, raw, words, lang) for lang in codes}
        queue = _dict(_dict(queues.get(str(spec.get("queue")))).get("label"))
        queue = queue if spec.get("action") == "queue" else {}
        nodes[node_id] = MapNode(
            id=node_id, action=str(spec.get("action", "?"))[:40], heard=heard,
            short={lang: shorten(text) for lang, text in heard.items() if text},
            queue={lang: str(queue.get(lang) or spec.get("queue")) for lang in codes} if queue else {},
            missing=sorted({lang for t in _texts(spec) for lang in codes if not t.get(lang)}),
            sms=_sms(spec, raw))
    edges: list[MapEdge] = []
    for node_id, spec in specs.items():
        for key, option in _dict(spec.get("options")).items():
            option = _dict(option)
            label = _dict(option.get("label"))  # the key as pressed, then what the caller hears for it
            text = {lang: f"{key} · {words.fill(label.get(lang) or '', lang)}".rstrip(" ·") for lang in codes}
            edges.append(_edge(node_id, option.get("next"), text, specs))
        if spec.get("spoken"):
            edges.append(_edge(node_id, spec["spoken"], _said(codes, "nothing keyed in"), specs))
        if spec.get("route_by_intent"):
            routes = _dict(_dict(raw.get("intents")).get("routes"))
            edges += [_edge(node_id, r.get("next"), {lang: f"says: {_dict(r.get('label')).get(lang) or name}"
                                                     for lang in codes}, specs)
                      for name, r in routes.items() if isinstance(r, dict)]
        if spec.get("next"):
            then = "no clear reason" if spec.get("route_by_intent") else "then"
            edges.append(_edge(node_id, spec["next"], _said(codes, then), specs))
    _survey_steps(nodes, specs, queues, words, codes)
    start = raw.get("start") if _names_node(raw.get("start"), specs) else next(iter(specs), None)
    order = _mark_reachable(nodes, edges, [n for n in (start, raw.get("adviser")) if _names_node(n, nodes)])
    # In the order a caller meets them (then the unreachable): dagre breaks the flow's loops (a
    # menu's way back) by that order, so the start menu stays first whatever order the file has.
    ordered = {node_id: nodes[node_id] for node_id in [*order, *nodes]}
    return FlowMap(ordered, edges, languages, _verdict(raw, audio_dir or audio_dir_of(settings.IVR_FILE)))


def _survey_steps(nodes: dict[str, MapNode], specs: dict[str, Any], queues: dict[str, Any], words: _Words,
                  codes: list[str]) -> None:
    """A queue step whose queue asks the question after the call (config/flow_survey.py) carries
    it, as the caller hears it once the adviser has gone (its scale's keys said by name)."""
    for node_id, spec in specs.items():
        queue = _dict(queues.get(str(spec.get("queue"))))
        if spec.get("action") == "queue" and queue.get("survey") is True:
            nodes[node_id].survey = {lang: words.shared("survey_question", lang)
                                     .replace("{lowest}", words.key("1", lang))
                                     .replace("{highest}", words.key("5", lang)) for lang in codes}


def _verdict(raw: dict[str, Any], audio_dir: Path) -> str | None:
    try:
        build_flow(raw, audio_dir=audio_dir)  # its recorded prompts' files too
    except ConfigError as e:
        return str(e)
    except Exception as e:  # a draft can be malformed in ways the schema check did not expect
        return f"the file could not be checked: {e}"
    return None


def _said(codes: list[str], words: str) -> dict[str, str]:
    return dict.fromkeys(codes, words)  # how the flow moves on, in the supervisors' language


def _names_node(target: Any, specs: dict[str, Any]) -> bool:
    return isinstance(target, str) and target in specs  # a draft may put a list or a map here


def _edge(source: str, target: Any, label: dict[str, str], specs: dict[str, Any]) -> MapEdge:
    return MapEdge(source, str(target)[:60], label, not _names_node(target, specs))


def _mark_reachable(nodes: dict[str, MapNode], edges: list[MapEdge], roots: list[str]) -> list[str]:
    """Mark the steps no caller reaches; the others' ids, nearest the start first."""
    seen: dict[str, None] = {}
    queue = deque(roots)
    while queue:
        node_id = queue.popleft()
        if node_id in seen or node_id not in nodes:
            continue
        seen[node_id] = None
        queue.extend(e.target for e in edges if e.source == node_id and not e.broken)
    for node in nodes.values():
        node.reachable = node.id in seen
    return list(seen)
