"""The flow map: config/ivr.yaml drawn as a graph, for the PES editors who change it.

Drawn leniently from the raw YAML, so that a draft with mistakes still shows where they are:
a node lacking a prompt in a configured language, an option leading to a node that does not
exist, a node no caller can reach. The boot validator's own verdict is shown beside it.
Layout: layers by distance from the start menu, laid out left to right (a few lines; no graph
library needed for flows of this size).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, current_app, render_template, request

from callcenter.access import nav, role_required
from callcenter.accounts import audit
from config.flow import build_flow, parse_flow_text
from config.settings import ConfigError
from db.states import Role

bp = Blueprint("flowmap", __name__)
MAX_DRAFT_BYTES = 512 * 1024
COL_W, ROW_H, BOX_W, BOX_H = 250, 86, 200, 58


@dataclass
class MapNode:
    id: str
    action: str
    title: str
    missing: list[str] = field(default_factory=list)  # languages without a text here
    reachable: bool = True
    x: int = 0
    y: int = 0


@dataclass
class MapEdge:
    source: str
    target: str
    label: str
    broken: bool = False


@dataclass
class FlowMap:
    nodes: dict[str, MapNode]
    edges: list[MapEdge]
    languages: list[str]
    width: int
    height: int
    verdict: str | None  # the validator's error, None when the flow would boot

    @property
    def problems(self) -> int:
        return (sum(bool(n.missing) or not n.reachable for n in self.nodes.values())
                + sum(e.broken for e in self.edges) + (self.verdict is not None))


def _texts(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = [spec[k] for k in ("prompt", "text") if isinstance(spec.get(k), dict)]
    found += [o.get("label") for o in (spec.get("options") or {}).values()
              if isinstance(o, dict) and isinstance(o.get("label"), dict)]
    return found


def build_map(raw: Any) -> FlowMap:
    """The graph of a parsed flow file (possibly invalid), with its problems marked."""
    raw = raw if isinstance(raw, dict) else {}
    languages = [lang.get("code") for lang in raw.get("languages") or [] if isinstance(lang, dict)]
    specs = {k: v for k, v in (raw.get("nodes") or {}).items() if isinstance(v, dict)}
    nodes: dict[str, MapNode] = {}
    for node_id, spec in specs.items():
        texts = _texts(spec)
        first = next((t.get(languages[0]) for t in texts if languages and t.get(languages[0])), "")
        nodes[node_id] = MapNode(
            id=node_id, action=str(spec.get("action", "?"))[:40], title=str(first)[:60],
            missing=sorted({lang for t in texts for lang in languages if not t.get(lang)}))
    edges: list[MapEdge] = []
    for node_id, spec in specs.items():
        for key, option in (spec.get("options") or {}).items():
            target = option.get("next") if isinstance(option, dict) else None
            edges.append(_edge(node_id, target, f"key {key}", specs))
        if spec.get("next"):
            edges.append(_edge(node_id, spec["next"], "then", specs))
        if spec.get("spoken"):
            edges.append(_edge(node_id, spec["spoken"], "nothing keyed", specs))
        if spec.get("route_by_intent"):
            routes = ((raw.get("intents") or {}).get("routes") or {}).items()
            edges += [_edge(node_id, r.get("next"), f"says {name}", specs)
                      for name, r in routes if isinstance(r, dict)]
    start = raw.get("start") if _names_node(raw.get("start"), specs) else next(iter(specs), None)
    _layout(nodes, edges, [n for n in (start, raw.get("adviser")) if _names_node(n, nodes)])
    width = max([n.x for n in nodes.values()] + [0]) + COL_W
    height = max([n.y for n in nodes.values()] + [0]) + ROW_H + 20
    try:
        build_flow(raw)
        verdict = None
    except ConfigError as e:
        verdict = str(e)
    except Exception as e:  # a draft can be malformed in ways the schema check did not expect
        verdict = f"the file could not be checked: {e}"
    return FlowMap(nodes, edges, languages, width, height, verdict)


def _names_node(target: Any, specs: dict[str, Any]) -> bool:
    return isinstance(target, str) and target in specs  # a draft may put a list or a map here


def _edge(source: str, target: Any, label: str, specs: dict[str, Any]) -> MapEdge:
    return MapEdge(source, str(target)[:60], label, not _names_node(target, specs))


def _layout(nodes: dict[str, MapNode], edges: list[MapEdge], roots: list[str]) -> None:
    depth: dict[str, int] = {}
    queue = deque((root, 0) for root in roots)
    while queue:
        node_id, d = queue.popleft()
        if node_id in depth or node_id not in nodes:
            continue
        depth[node_id] = d
        queue.extend((e.target, d + 1) for e in edges if e.source == node_id and not e.broken)
    last = max(depth.values(), default=-1) + 1
    rows: dict[int, int] = {}
    for node in nodes.values():
        node.reachable = node.id in depth
        col = depth.get(node.id, last)
        node.x, node.y = 20 + col * COL_W, 20 + rows.get(col, 0) * ROW_H
        rows[col] = rows.get(col, 0) + 1


def read_flow_file(path: Path) -> Any:
    return parse_flow_text(path.read_text(encoding="utf-8"))


@bp.get("/flow")
@nav("Flow map", order=60)
@role_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def live() -> str:
    path = Path(current_app.config["IVR_FILE"])
    return render_template("flowmap.html", map=build_map(read_flow_file(path)), source=path.name,
                           draft=None, box=(BOX_W, BOX_H))


@bp.post("/flow")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def check_draft() -> tuple[str, int]:
    """Draw a draft flow file (uploaded or pasted) and say whether it would boot."""
    upload = request.files.get("draft_file")
    text = upload.read(MAX_DRAFT_BYTES + 1).decode("utf-8", "replace") if upload and upload.filename \
        else request.form.get("draft", "")
    if not text.strip():
        return _draft_error("Paste the flow file or choose it with the file button, then press Check.")
    if len(text.encode()) > MAX_DRAFT_BYTES:
        return _draft_error("That file is larger than 512 KB; a flow file is usually under 50 KB.")
    try:
        if _has_aliases(text):
            return _draft_error("The draft repeats parts through YAML aliases (*name); write each part "
                                "out in full, as config/ivr.yaml does, and check it again.", text)
        raw = parse_flow_text(text)
    except (yaml.YAMLError, ConfigError) as e:
        return _draft_error(f"The draft is not valid YAML: {e}", text)
    audit.record_now("flow_checked", detail=f"{len(text.encode())} bytes")
    return render_template("flowmap.html", map=build_map(raw), source="draft", draft=text,
                           box=(BOX_W, BOX_H)), 200


def _has_aliases(text: str) -> bool:
    """True when the YAML refers back to an anchor. A few kilobytes of nested aliases expand
    into hundreds of megabytes once drawn (the "billion laughs"), so drafts may not use them.
    Read as a stream of parser events, which never expands anything; raises yaml.YAMLError."""
    return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader))


def _draft_error(message: str, text: str = "") -> tuple[str, int]:
    empty = FlowMap({}, [], [], 0, 0, message)
    return render_template("flowmap.html", map=empty, source="draft", draft=text, box=(BOX_W, BOX_H)), 400
