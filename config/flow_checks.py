"""The checks every section of config/ivr.yaml shares: the schema, then cross-references.

Each raises ConfigError with the path inside the file and the fix; `config.flow.load_flow` puts
the file's name in front.
"""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any

import jsonschema

from config.flow_schema import ACTIONS, SCHEMA, TWILIO_QUEUE_MAX_SIZE
from config.settings import ConfigError


def where(path: list[Any] | Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def check_schema(raw: Any) -> None:
    """The structure (config/flow_schema.py): the first error found, as a sentence."""
    # Dates in YAML become date objects; the schema wants strings.
    for h in (raw or {}).get("hours", {}).get("holidays", []) if isinstance(raw, dict) else []:
        if isinstance(h, dict) and isinstance(h.get("date"), date):
            h["date"] = h["date"].isoformat()
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(_schema_error(jsonschema.exceptions.best_match(errors)))


def _schema_error(error: jsonschema.ValidationError) -> str:
    at = where(error.absolute_path)
    if error.validator == "enum" and at.endswith("action"):
        suggestion = difflib.get_close_matches(str(error.instance), ACTIONS, n=1)
        hint = f"; did you mean {suggestion[0]!r}?" if suggestion else ""
        return f"{at}: unknown action {error.instance!r} (use one of {', '.join(ACTIONS)}){hint}"
    if error.validator == "additionalProperties":
        return f"{at}: {error.message} (remove it or check its spelling)"
    if error.validator == "maximum" and at.startswith("queues.") and at.endswith(".max_size"):
        return (f"{at}: {error.instance} is more callers than a Twilio queue holds "
                f"({TWILIO_QUEUE_MAX_SIZE} at most); lower it to {TWILIO_QUEUE_MAX_SIZE} or less, "
                "or split the callers over two queues")
    if error.validator == "pattern" and at.startswith("directory.") and at.endswith(".number"):
        return (f"{at}: {error.instance!r} is not a number in international (E.164) form; write it as "
                "+ then the country code and the number, without spaces, e.g. +442079460000")
    return f"{at}: {error.message}"


def unique(values: list[str], at: str, what: str) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ConfigError(f"{at}: {what} {dupes[0]!r} is used twice; each must be different")


def every_language(texts: dict[str, Any], codes: list[str], at: str) -> None:
    for code in codes:
        if code not in texts:
            raise ConfigError(f"{at}: no text for language {code!r}; add '{code}: ...'")
    extra = sorted(set(texts) - set(codes))
    if extra:
        raise ConfigError(f"{at}.{extra[0]}: language {extra[0]!r} is not in 'languages'")


def known_node(ref: str, nodes: dict[str, Any], at: str) -> None:
    if ref not in nodes:
        close = difflib.get_close_matches(ref, list(nodes), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{at}: {ref!r} is not a node (known: {', '.join(nodes)}){hint}")
