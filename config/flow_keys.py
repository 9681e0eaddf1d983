"""The keys callers press outside the menus: the `answer_keys` section of config/ivr.yaml.

A prompt that offers a key names it as a placeholder ("To be called back, press {callback}."),
filled with the key's spoken name in the caller's language (prompts.key_names: "star",
"asterisco", ...; a digit is said as itself), and the code that reads the caller's answer checks
the same entry (`Flow.answer_keys.callback`): changing a key changes what is said and what works
together. config/flow_schema.py PROMPT_KEYS lists which prompt offers which keys.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from config.flow_schema import PROMPT_KEYS
from config.settings import ConfigError


@dataclass(frozen=True)
class AnswerKeys:
    """The key for each answer (the shipped flow file's key in brackets)."""

    callback: str  # (1) on hold or at the offer: be called back instead of waiting
    message: str  # (2) at the offer: leave a message instead
    confirm: str  # (1) a number or words read back are right
    retry: str  # (2) ... are not: key it in (or say it) again
    talk_now: str  # (1) being called back: put me through to the adviser now
    take_call: str  # (1) the adviser's whisper: take the call
    skip: str  # (*) a capture or record step: skip the question
    error_message: str  # (1) after "something went wrong": leave a message (else an adviser)
    send_text: str | None = None  # (1) after a message with an `sms` text: send it (flow_texts.py)


def placeholders(text: str, at: str) -> set[str]:
    """The {names} in a prompt's text; ConfigError when its braces do not pair up."""
    if not isinstance(text, str):
        raise ConfigError(f"{at}: must be a text, not a {type(text).__name__}")
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError as e:
        raise ConfigError(f"{at}: {e} (a placeholder is written {{name}})") from None


def _section(name: str) -> str:
    return "keys" if name in ("adviser", "repeat", "back", "slower") else "answer_keys"


def build_answer_keys(raw: dict[str, Any], codes: list[str]) -> AnswerKeys:
    """The answer keys, once each in every prompt that offers them, and said by every language's
    text of it; a capture or record step's prompt may say any key by name ("press {skip}")."""
    keys = {**raw["keys"], **raw["answer_keys"]}
    if keys["skip"] == "#":
        raise ConfigError("answer_keys.skip: '#' ends a recording and a keyed-in number; choose "
                          "another key")
    for pname, names in PROMPT_KEYS.items():
        for i, name in enumerate(names):
            clash = next((other for other in names[:i] if keys[other] == keys[name]), None)
            if clash is not None:
                raise ConfigError(
                    f"{_section(name)}.{name}: {keys[name]!r} is also the key of {clash!r} "
                    f"({_section(clash)}.{clash}), and prompts.{pname} offers both; give each its own key")
        for code in codes:
            said = placeholders(raw["prompts"][pname][code], f"prompts.{pname}.{code}")
            missing = [name for name in names if name not in said]
            if missing:
                raise ConfigError(f"prompts.{pname}.{code}: does not say the key of {missing[0]!r}; "
                                  f"write {{{missing[0]}}} where the key is said")
    for node_id, node in raw["nodes"].items():
        if node["action"] not in ("capture", "record"):
            continue
        for code, text in node["prompt"].items():
            unknown = sorted(placeholders(text, f"nodes.{node_id}.prompt.{code}") - set(keys))
            if unknown:
                raise ConfigError(f"nodes.{node_id}.prompt.{code}: {{{unknown[0]}}} is not a key "
                                  f"(known: {', '.join(keys)})")
    return AnswerKeys(**raw["answer_keys"])
