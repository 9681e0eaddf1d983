"""Load and validate config/ivr.yaml into a `Flow` the IVR engine walks.

Errors raise ConfigError with the file, the path inside it and the fix, e.g.
``config/ivr.yaml: nodes.main.options.3.next: 'benfits' is not a node (known: ...)``.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from config.flow_schema import ACTIONS, REQUIRED_PROMPTS, SCHEMA, TWILIO_QUEUE_MAX_SIZE
from config.hours import Hours, parse_hours
from config.settings import ROOT, ConfigError


@dataclass(frozen=True)
class Language:
    code: str
    key: str
    name: str
    voice: str
    say_language: str
    choose: str


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


@dataclass(frozen=True)
class Queue:
    """A queue callers wait in for an adviser (METRICS.md: service level per queue)."""

    name: str
    label: dict[str, str]
    languages: list[str]
    service_level_s: int
    max_wait_s: int
    max_size: int
    priority: int = 0


@dataclass(frozen=True)
class WallboardThresholds:
    """When a wallboard figure turns red: service level below the goal (%), abandonment above the
    limit (%), more callers waiting in one queue than the limit."""

    service_level_goal: float = 80.0
    abandon_limit: float = 5.0
    waiting_limit: int = 5


@dataclass(frozen=True)
class Flow:
    source: str
    helpline: str
    languages: list[Language]
    keys: dict[str, str]
    hours: Hours
    id_number: IdRule
    start: str
    adviser: str
    prompts: dict[str, dict[str, Any]]
    nodes: dict[str, Node]
    queues: dict[str, Queue] = field(default_factory=dict)
    dispositions: dict[str, str] = field(default_factory=dict)  # code -> label
    intents: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # intent -> lang -> phrases
    intent_routes: dict[str, str] = field(default_factory=dict)  # intent -> node
    intent_threshold: float = 0.8
    wallboard: WallboardThresholds = field(default_factory=WallboardThresholds)

    @functools.cached_property
    def language_codes(self) -> frozenset[str]:
        return frozenset(lang.code for lang in self.languages)

    @property
    def default_language(self) -> str:
        return self.languages[0].code

    def language(self, code: str | None) -> Language:
        for lang in self.languages:
            if lang.code == code:
                return lang
        return self.languages[0]

    def prompt(self, name: str, lang: str, **values: Any) -> str:
        text = self.prompts[name][lang]
        return text.format(**values) if values else text

    def key_name(self, key: str, lang: str) -> str:
        return self.prompts["key_names"][lang].get(key, key)

    def parent_of(self, node_id: str) -> str | None:
        """The menu that leads to node_id (first found), for the 'back' key."""
        for node in self.nodes.values():
            if any(o.next == node_id for o in node.options.values()):
                return node.id
        return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"line {key_node.start_mark.line + 1}: key {key!r} appears twice in the same "
                f"mapping (first on line {seen[key]}); keep one"
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _where(path: list[Any] | Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def parse_flow_text(text: str) -> Any:
    """YAML -> data, refusing a key given twice in one mapping (ConfigError with its lines)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def load_flow(path: Path) -> Flow:
    """Read, validate and build the flow; ConfigError names the file, the path and the fix."""
    name = _display(path)
    try:
        raw = parse_flow_text(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found (set JOBLINE_IVR_FILE or create it)") from None
    except ConfigError as e:
        raise ConfigError(f"{name}: {e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{name}: not valid YAML: {e}") from None
    try:
        return build_flow(raw, name)
    except ConfigError as e:
        raise ConfigError(f"{name}: {e}") from None


def _schema_error(error: jsonschema.ValidationError) -> str:
    where = _where(error.absolute_path)
    if error.validator == "enum" and where.endswith("action"):
        suggestion = difflib.get_close_matches(str(error.instance), ACTIONS, n=1)
        hint = f"; did you mean {suggestion[0]!r}?" if suggestion else ""
        return f"{where}: unknown action {error.instance!r} (use one of {', '.join(ACTIONS)}){hint}"
    if error.validator == "additionalProperties":
        return f"{where}: {error.message} (remove it or check its spelling)"
    if error.validator == "maximum" and where.startswith("queues.") and where.endswith(".max_size"):
        return (f"{where}: {error.instance} is more callers than a Twilio queue holds "
                f"({TWILIO_QUEUE_MAX_SIZE} at most); lower it to {TWILIO_QUEUE_MAX_SIZE} or less, "
                "or split the callers over two queues")
    return f"{where}: {error.message}"


def build_flow(raw: Any, name: str = "ivr.yaml") -> Flow:
    # Dates in YAML become date objects; the schema wants strings.
    for h in (raw or {}).get("hours", {}).get("holidays", []) if isinstance(raw, dict) else []:
        if isinstance(h, dict) and isinstance(h.get("date"), date):
            h["date"] = h["date"].isoformat()
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(_schema_error(jsonschema.exceptions.best_match(errors)))

    codes = [lang["code"] for lang in raw["languages"]]
    _unique([lang["key"] for lang in raw["languages"]], "languages", "key")
    _unique(codes, "languages", "code")
    _unique(list(raw["keys"].values()), "keys", "key")

    prompts = raw["prompts"]
    for pname in REQUIRED_PROMPTS:
        if pname not in prompts:
            raise ConfigError(f"prompts.{pname}: missing (the engine speaks it; add it per language)")
    for pname, texts in prompts.items():
        _every_language(texts, codes, f"prompts.{pname}")

    nodes = raw["nodes"]
    for ref in ("start", "adviser"):
        _known_node(raw[ref], nodes, ref)
    if nodes[raw["adviser"]]["action"] != "queue":
        raise ConfigError(f"adviser: node {raw['adviser']!r} must have action 'queue'")
    reserved = {v: k for k, v in raw["keys"].items()}
    built: dict[str, Node] = {}
    for node_id, spec in nodes.items():
        where = f"nodes.{node_id}"
        for part in ("prompt", "text"):
            if part in spec:
                _every_language(spec[part], codes, f"{where}.{part}")
        for ref in ("next", "spoken"):
            if ref in spec:
                _known_node(spec[ref], nodes, f"{where}.{ref}")
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
            _known_node(opt["next"], nodes, f"{where}.options.{key}.next")
            _every_language(opt["label"], codes, f"{where}.options.{key}.label")
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
    queues = {}
    for qname, q in raw["queues"].items():
        for code in q["languages"]:
            if code not in codes:
                raise ConfigError(f"queues.{qname}.languages: {code!r} is not in 'languages'")
        _every_language(q["label"], codes, f"queues.{qname}.label")
        queues[qname] = Queue(name=qname, **q)
    for node in built.values():
        if node.action == "queue" and node.queue not in queues:
            close = difflib.get_close_matches(node.queue or "", list(queues), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"nodes.{node.id}.queue: {node.queue!r} is not a queue (known: {', '.join(queues)}){hint}"
            )
    _unique([d["code"] for d in raw["dispositions"]], "dispositions", "code")
    intents = raw.get("intents", {"threshold": 0.8, "routes": {}})
    for intent, route in intents["routes"].items():
        _known_node(route["next"], nodes, f"intents.routes.{intent}.next")
        for code in route["phrases"]:
            if code not in codes:
                raise ConfigError(f"intents.routes.{intent}.phrases.{code}: {code!r} is not in 'languages'")
    for node in built.values():
        if node.route_by_intent and node.field != "reason":
            raise ConfigError(
                f"nodes.{node.id}.route_by_intent: only a 'reason' recording can pick the route")
    if built[raw["start"]].action != "menu":
        raise ConfigError(f"start: node {raw['start']!r} must be a menu")

    return Flow(
        source=name,
        helpline=raw["helpline"],
        languages=[Language(**lang) for lang in raw["languages"]],
        keys=dict(raw["keys"]),
        hours=parse_hours(raw["hours"]),
        id_number=IdRule(**raw.get("id_number", {"length": 8, "checksum": "none"})),
        start=raw["start"],
        adviser=raw["adviser"],
        prompts=prompts,
        nodes=built,
        queues=queues,
        dispositions={d["code"]: d["label"] for d in raw["dispositions"]},
        intents={name: route["phrases"] for name, route in intents["routes"].items()},
        intent_routes={name: route["next"] for name, route in intents["routes"].items()},
        intent_threshold=intents["threshold"],
        wallboard=WallboardThresholds(**raw.get("wallboard", {})),
    )


def _unique(values: list[str], where: str, what: str) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ConfigError(f"{where}: {what} {dupes[0]!r} is used twice; each must be different")


def _every_language(texts: dict[str, Any], codes: list[str], where: str) -> None:
    for code in codes:
        if code not in texts:
            raise ConfigError(f"{where}: no text for language {code!r}; add '{code}: ...'")
    extra = sorted(set(texts) - set(codes))
    if extra:
        raise ConfigError(f"{where}.{extra[0]}: language {extra[0]!r} is not in 'languages'")


def _known_node(ref: str, nodes: dict[str, Any], where: str) -> None:
    if ref not in nodes:
        close = difflib.get_close_matches(ref, list(nodes), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{where}: {ref!r} is not a node (known: {', '.join(nodes)}){hint}")
