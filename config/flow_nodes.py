"""The steps of config/ivr.yaml (`nodes`: menus, messages, capture steps, queues) and what leads
between them: options, `next`, `start`/`adviser`, the ID-number rule capture steps check, and
the intent routes a spoken reason may take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from config.flow_checks import every_language, known_node
from config.settings import ConfigError


@dataclass(frozen=True)
class Option:
    key: str
    label: dict[str, str]
    next: str


@dataclass(frozen=True)
class Node:
    id: str
    action: str
    prompt: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    options: dict[str, Option] = field(default_factory=dict)
    next: str | None = None
    field: str | None = None
    queue: str | None = None
    spoken: str | None = None  # capture: a record node to say the number instead of keying it
    max_seconds: int = 10  # record: longest answer
    confirm: bool = True  # record: read the transcript back when it is ready in time
    route_by_intent: bool = False  # record (reason): go where the caller's words point


@dataclass(frozen=True)
class IdRule:
    """How an ID number is checked: its length and check-digit scheme."""

    length: int
    checksum: str

    def valid(self, digits: str) -> bool:
        if len(digits) != self.length or not digits.isascii() or not digits.isdigit():
            return False
        if self.checksum == "luhn":
            return luhn_ok(digits)
        if self.checksum == "mod11":
            return mod11_ok(digits)
        return True


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def mod11_ok(digits: str) -> bool:
    """Weights 2..7 from the right over the body; check digit = (11 - sum mod 11) mod 11 (10 invalid)."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(ch) * (2 + i % 6) for i, ch in enumerate(reversed(body)))
    expected = (11 - total % 11) % 11
    return expected != 10 and expected == check


def build_nodes(raw: dict[str, Any], codes: list[str]) -> dict[str, Node]:
    """Every node, its texts in every language and its references checked."""
    nodes = raw["nodes"]
    for ref in ("start", "adviser"):
        known_node(raw[ref], nodes, ref)
    if nodes[raw["adviser"]]["action"] != "queue":
        raise ConfigError(f"adviser: node {raw['adviser']!r} must have action 'queue'")
    reserved = {v: k for k, v in raw["keys"].items()}
    built: dict[str, Node] = {}
    for node_id, spec in nodes.items():
        where = f"nodes.{node_id}"
        for part in ("prompt", "text"):
            if part in spec:
                every_language(spec[part], codes, f"{where}.{part}")
        for ref in ("next", "spoken"):
            if ref in spec:
                known_node(spec[ref], nodes, f"{where}.{ref}")
        if "spoken" in spec and (nodes[spec["spoken"]]["action"] != "record"
                                 or nodes[spec["spoken"]].get("field") != spec.get("field")):
            raise ConfigError(
                f"{where}.spoken: {spec['spoken']!r} must be a 'record' node for the same field")
        options = {}
        for key, opt in spec.get("options", {}).items():
            if key in reserved:
                raise ConfigError(
                    f"{where}.options.{key}: key {key!r} is reserved for '{reserved[key]}' on every "
                    "menu; choose another key"
                )
            known_node(opt["next"], nodes, f"{where}.options.{key}.next")
            every_language(opt["label"], codes, f"{where}.options.{key}.label")
            options[key] = Option(key=key, label=opt["label"], next=opt["next"])
        if spec["action"] == "capture" and "id_number" not in raw:
            raise ConfigError(f"{where}: captures an ID number but 'id_number' rules are missing")
        built[node_id] = Node(
            id=node_id, action=spec["action"], prompt=spec.get("prompt", {}),
            text=spec.get("text", {}), options=options, next=spec.get("next"),
            field=spec.get("field"), queue=spec.get("queue"), spoken=spec.get("spoken"),
            max_seconds=spec.get("max_seconds", 10), confirm=spec.get("confirm", True),
            route_by_intent=spec.get("route_by_intent", False),
        )
    return built


def check_intents(raw: dict[str, Any], codes: list[str]) -> dict[str, Any]:
    """The `intents` section (a default without one): each route leads to a node, in known languages,
    and a label, when it has one, is in every language (reports show it instead of the code)."""
    intents = raw.get("intents", {"threshold": 0.8, "routes": {}})
    for intent, route in intents["routes"].items():
        known_node(route["next"], raw["nodes"], f"intents.routes.{intent}.next")
        if "label" in route:
            every_language(route["label"], codes, f"intents.routes.{intent}.label")
        for code in route["phrases"]:
            if code not in codes:
                raise ConfigError(f"intents.routes.{intent}.phrases.{code}: {code!r} is not in 'languages'")
    return intents


def check_entry(built: dict[str, Node], start: str) -> None:
    """Only a reason recording routes by intent, and callers start at a menu."""
    for node in built.values():
        if node.route_by_intent and node.field != "reason":
            raise ConfigError(
                f"nodes.{node.id}.route_by_intent: only a 'reason' recording can pick the route")
    if built[start].action != "menu":
        raise ConfigError(f"start: node {start!r} must be a menu")
