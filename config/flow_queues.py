"""Where callers wait, where advisers may send them, and how their calls close: the `queues`,
`directory`, `dispositions` and `wallboard` sections of config/ivr.yaml (METRICS.md defines the
figures they feed)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from config.flow_checks import every_language, unique
from config.flow_nodes import Node
from config.settings import ConfigError


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
    mode: str = "pull"  # pull: taken from the list; offer: rung on one adviser's desk at a time
    offer_timeout_s: int = 20  # an offer not accepted within this moves on (a miss)
    survey: bool = False  # callers still on the line after the adviser are asked one question


@dataclass(frozen=True)
class OfferRules:
    """Floor-wide rules of offer-mode queues: after this many offers missed in a row (not
    accepted nor rejected in time), the adviser is put on a break, with the reason on their desk."""

    misses_before_away: int = 2


@dataclass(frozen=True)
class WallboardThresholds:
    """When a wallboard figure turns red: service level below the goal (%), abandonment above the
    limit (%), more callers waiting in one queue than the limit."""

    service_level_goal: float = 80.0
    abandon_limit: float = 5.0
    waiting_limit: int = 5


def build_queues(raw: dict[str, Any], codes: list[str], built: dict[str, Node]) -> dict[str, Queue]:
    """Every queue, in known languages; every queue node names one of them."""
    queues = {}
    for qname, q in raw["queues"].items():
        for code in q["languages"]:
            if code not in codes:
                raise ConfigError(f"queues.{qname}.languages: {code!r} is not in 'languages'")
        every_language(q["label"], codes, f"queues.{qname}.label")
        queues[qname] = Queue(name=qname, **q)
    for node in built.values():
        if node.action == "queue" and node.queue not in queues:
            close = difflib.get_close_matches(node.queue or "", list(queues), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"nodes.{node.id}.queue: {node.queue!r} is not a queue (known: {', '.join(queues)}){hint}"
            )
    return queues


@dataclass(frozen=True)
class DirectoryEntry:
    """An outside number an adviser may transfer a caller to (a partner office's line)."""

    code: str
    label: str
    number: str  # E.164


def build_directory(raw: dict[str, Any]) -> dict[str, DirectoryEntry]:
    """code -> entry; each code and each number once (an optional section: none, no outside transfers)."""
    entries = raw.get("directory", [])
    unique([e["code"] for e in entries], "directory", "code")
    unique([e["number"] for e in entries], "directory", "number")
    return {e["code"]: DirectoryEntry(**e) for e in entries}


def build_dispositions(raw: dict[str, Any]) -> dict[str, str]:
    """code -> label, each code once."""
    unique([d["code"] for d in raw["dispositions"]], "dispositions", "code")
    return {d["code"]: d["label"] for d in raw["dispositions"]}


def build_wallboard(raw: dict[str, Any]) -> WallboardThresholds:
    return WallboardThresholds(**raw.get("wallboard", {}))


def build_offer_rules(raw: dict[str, Any], queues: dict[str, Queue]) -> OfferRules:
    """The `offers` section; an offer timeout on a pull queue is a mistake worth naming."""
    for q in queues.values():
        if q.mode != "offer" and "offer_timeout_s" in raw["queues"][q.name]:
            raise ConfigError(f"queues.{q.name}.offer_timeout_s: only an offer-mode queue rings "
                              f"advisers; add 'mode: offer' to queues.{q.name} or remove offer_timeout_s")
    return OfferRules(**raw.get("offers", {}))
