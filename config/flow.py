"""Load and validate config/ivr.yaml into a `Flow` the IVR engine walks.

Errors raise ConfigError with the file, the path inside it and the fix, e.g.
``config/ivr.yaml: nodes.main.options.3.next: 'benfits' is not a node (known: ...)``.
`build_flow` checks the file section by section: the schema (config/flow_checks.py), the
languages, keys and prompts (here), the steps (config/flow_nodes.py), the keys prompts offer
(config/flow_keys.py), the queues, dispositions and wallboard (config/flow_queues.py).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config.flow_audio import DEFAULT_AUDIO_DIR, Recordings, audio_dir_of, check_recordings, split_recorded
from config.flow_checks import check_schema, every_language, unique
from config.flow_keys import AnswerKeys, build_answer_keys
from config.flow_nodes import IdRule, Node, Option, build_nodes, check_entry, check_intents, luhn_ok, mod11_ok
from config.flow_queues import (
    DirectoryEntry,
    OfferRules,
    Queue,
    WallboardThresholds,
    build_directory,
    build_dispositions,
    build_offer_rules,
    build_queues,
    build_wallboard,
)
from config.flow_schema import REQUIRED_PROMPTS
from config.flow_survey import check_survey
from config.flow_texts import check_texts
from config.flow_yaml import parse_flow_text
from config.hours import Hours, parse_hours
from config.settings import ROOT, ConfigError

# What the rest of Jobline imports from here (the step and queue types live beside this module).
__all__ = ["AnswerKeys", "Flow", "IdRule", "Language", "Node", "OfferRules", "Option", "Queue",
           "WallboardThresholds", "build_flow", "load_flow", "luhn_ok", "mod11_ok", "parse_flow_text"]


@dataclass(frozen=True)
class Language:
    code: str
    key: str
    name: str
    choose: str
    voice: str | None = None  # None: heard only from recordings (config/flow_audio.py)
    say_language: str | None = None

    @property
    def recorded_only(self) -> bool:
        return self.voice is None


@dataclass(frozen=True)
class Flow:
    source: str
    helpline: str
    languages: list[Language]
    keys: dict[str, str]
    answer_keys: AnswerKeys
    hours: Hours
    id_number: IdRule
    start: str
    adviser: str
    prompts: dict[str, dict[str, Any]]
    nodes: dict[str, Node]
    queues: dict[str, Queue] = field(default_factory=dict)
    dispositions: dict[str, str] = field(default_factory=dict)  # code -> label
    directory: dict[str, DirectoryEntry] = field(default_factory=dict)  # code -> outside number
    intents: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # intent -> lang -> phrases
    intent_routes: dict[str, str] = field(default_factory=dict)  # intent -> node
    intent_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # intent -> lang -> label
    intent_threshold: float = 0.8
    wallboard: WallboardThresholds = field(default_factory=WallboardThresholds)
    offers: OfferRules = field(default_factory=OfferRules)
    audio: dict[str, dict[str, str]] = field(default_factory=dict)  # prompt -> lang -> "<lang>/<file>"
    recordings: Recordings = field(default_factory=Recordings)  # every recorded text, by path
    audio_dir: Path = DEFAULT_AUDIO_DIR  # where those files are (config/flow_audio.py)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # node -> lang -> SMS (flow_texts.py)

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

    @functools.cached_property
    def _key_words(self) -> dict[str, dict[str, str]]:
        """lang -> {placeholder: spoken key}: every menu-wide and answer key by its name."""
        keys = {k: v for k, v in {**self.keys, **asdict(self.answer_keys)}.items() if v is not None}
        return {code: {name: self.key_name(key, code) for name, key in keys.items()}
                for code in self.language_codes}

    def prompt(self, name: str, lang: str, /, **values: Any) -> str:
        return self.fill(self.prompts[name][lang], lang, **values)

    def fill(self, text: str, lang: str, /, **values: Any) -> str:
        """text with its placeholders filled: the values given, and keys by name ("press {skip}"
        -> "press star"), said in lang."""
        if "{" not in text:
            return text
        return text.format_map({**self._key_words.get(lang, {}), **values})

    def recording(self, name: str, lang: str) -> str | None:
        """The recorded prompt's file ("<lang>/<file>" in audio_dir), or None: said as text."""
        return self.audio.get(name, {}).get(lang)

    def recorded(self, path: str, lang: str) -> tuple[str, ...] | None:
        """The recording of the text at path ("prompts.welcome", "nodes.main.prompt",
        "nodes.main.options.1.label", "queues.general.label", "languages.sw.choose") in lang:
        its parts ("<lang>/<file>" or "{placeholder}"), or None: said as text."""
        return self.recordings.parts.get(path, {}).get(lang)

    @functools.cached_property
    def recorded_texts(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """lang -> {an option's or a queue's label: its recording}, for {label} and {queue} parts."""
        found: dict[str, dict[str, tuple[str, ...]]] = {}
        for node in self.nodes.values():
            for option in node.options.values():
                for lang, label in option.label.items():
                    parts = self.recorded(f"nodes.{node.id}.options.{option.key}.label", lang)
                    if parts:
                        found.setdefault(lang, {})[label] = parts
        for queue in self.queues.values():
            for lang, label in queue.label.items():
                parts = self.recorded(f"queues.{queue.name}.label", lang)
                if parts:
                    found.setdefault(lang, {})[label] = parts
        return found

    def key_name(self, key: str, lang: str) -> str:
        return self.prompts["key_names"][lang].get(key, key)

    def parent_of(self, node_id: str) -> str | None:
        """The menu that leads to node_id (first found), for the 'back' key."""
        for node in self.nodes.values():
            if any(o.next == node_id for o in node.options.values()):
                return node.id
        return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


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
        return build_flow(raw, name, audio_dir_of(path))
    except ConfigError as e:
        raise ConfigError(f"{name}: {e}") from None


def build_flow(raw: Any, name: str = "ivr.yaml", audio_dir: Path = DEFAULT_AUDIO_DIR) -> Flow:
    """The Flow of parsed YAML, checked section by section; ConfigError names the path and the
    fix. Recorded prompts' files are looked for in audio_dir (config/flow_audio.py)."""
    check_schema(raw)
    codes = _language_codes(raw)
    _prompts(raw, codes)
    shown = _display(audio_dir)
    raw, recordings = split_recorded(raw, audio_dir, shown)  # the rest of the checks read the words
    check_recordings(raw, recordings, shown)
    prompts = raw["prompts"]
    nodes = build_nodes(raw, codes)
    answer_keys = build_answer_keys(raw, codes)
    queues = build_queues(raw, codes, nodes)
    check_survey(raw, codes)
    dispositions = build_dispositions(raw)
    intents = check_intents(raw, codes)
    check_entry(nodes, raw["start"])
    texts = check_texts(raw, codes)

    return Flow(
        source=name,
        helpline=raw["helpline"],
        languages=[Language(**lang) for lang in raw["languages"]],
        keys=dict(raw["keys"]),
        answer_keys=answer_keys,
        hours=parse_hours(raw["hours"]),
        id_number=IdRule(**raw.get("id_number", {"length": 8, "checksum": "none"})),
        start=raw["start"],
        adviser=raw["adviser"],
        prompts=prompts,
        nodes=nodes,
        queues=queues,
        dispositions=dispositions,
        directory=build_directory(raw),
        intents={name: route["phrases"] for name, route in intents["routes"].items()},
        intent_routes={name: route["next"] for name, route in intents["routes"].items()},
        intent_labels={name: route["label"] for name, route in intents["routes"].items() if "label" in route},
        intent_threshold=intents["threshold"],
        wallboard=build_wallboard(raw),
        offers=build_offer_rules(raw, queues),
        audio=recordings.whole,
        recordings=recordings,
        audio_dir=audio_dir,
        texts=texts,
    )


def _language_codes(raw: dict[str, Any]) -> list[str]:
    """The languages' codes, in order; codes, language keys and reserved keys each used once."""
    codes = [lang["code"] for lang in raw["languages"]]
    unique([lang["key"] for lang in raw["languages"]], "languages", "key")
    unique(codes, "languages", "code")
    unique(list(raw["keys"].values()), "keys", "key")
    return codes


def _prompts(raw: dict[str, Any], codes: list[str]) -> dict[str, dict[str, Any]]:
    """Every prompt the engine and the queue speak is there, each in every language."""
    prompts = raw["prompts"]
    for pname in REQUIRED_PROMPTS:
        if pname not in prompts:
            raise ConfigError(f"prompts.{pname}: missing (the engine speaks it; add it per language)")
    for pname, texts in prompts.items():
        every_language(texts, codes, f"prompts.{pname}")
    return prompts
