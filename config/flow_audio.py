"""Recorded prompts: any text a caller hears, in one language, may come with a recording of it.

In config/ivr.yaml a text per language (a prompt, a step's prompt or message, an option's label,
a queue's name, a language's `choose` line) is either its words or ``{text: ..., audio: ...}``:
the file lives in the flow's audio folder, ``audio/<lang>/`` beside the flow file
(config/audio/en/thank-you.wav), and the text stays as its transcript (the flow map, the web
phone, anyone reading instead of listening). Callers hear the recording (<Play>) instead of the
text-to-speech voice.

A recording says the same words every time. A placeholder whose value is fixed by the flow file
(a key by its name, ``{helpline}``, the ID number's ``{length}``) may be said inside one whole
recording. One that changes from call to call is given as parts, in the text's order:
``audio: [you-are-number.wav, "{position}", in-line.wav]``. A number part ({position},
{minutes}, {digits}, {length}, a menu's {key}) plays ``numbers/<n>.wav`` when there is one, else
its digits one by one (``numbers/0.wav`` ... ``9.wav``, ``star.wav``, ``hash.wav``: required as
soon as a language has a number part); a {label} or {queue} part plays that option's or queue's
own recording. What the caller said ({text}) cannot be recorded: a language with no voice does
not read spoken answers back (ivr/actions/speech_capture.py).
"""

from __future__ import annotations

import copy
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.flow_survey import scale_words
from config.settings import ROOT, ConfigError

DEFAULT_AUDIO_DIR = ROOT / "config" / "audio"
NUMBER_PARTS = frozenset({"position", "minutes", "digits", "length", "key"})
TEXT_PARTS = frozenset({"label", "queue"})  # played from that option's or queue's recording
UNRECORDABLE = frozenset({"text"})  # the caller's own words, read back
# The files a number part is said with, per language (numbers/<n>.wav for more numbers is optional).
NUMBER_FILES = tuple(f"numbers/{d}.wav" for d in "0123456789") + ("numbers/star.wav", "numbers/hash.wav")


@dataclass
class Recordings:
    """What build_flow keeps of the flow's recordings."""

    parts: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # path -> lang -> parts
    whole: dict[str, dict[str, str]] = field(default_factory=dict)  # prompt -> lang -> "<lang>/<file>"
    transcripts: dict[str, str] = field(default_factory=dict)  # "<lang>/<file>" -> its words
    missing: list[str] = field(default_factory=list)  # problems, listed together at the end


def audio_dir_of(flow_file: Path) -> Path:
    """Where a flow file's recordings live: the `audio` folder beside it."""
    return flow_file.resolve().parent / "audio"


def placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def segments(text: str, parts: list[str], fixed: dict[str, str]) -> list[str]:
    """The words each file of a recording's parts says: the text cut at its part placeholders,
    the fixed ones filled (a key by its name), pieces without a letter dropped (", ", ".")."""
    cut = {p[1:-1] for p in parts if p.startswith("{")}
    pieces, current = [], ""
    for literal, name, _, _ in string.Formatter().parse(text):
        current += literal
        if name is None:
            continue
        if name in cut:
            pieces.append(current)
            current = ""
        else:
            current += fixed.get(name, "{" + name + "}")
    pieces.append(current)
    return [p.lstrip(" ,;:.").rstrip(" ,;:") for p in pieces if any(c.isalpha() for c in p)]


def texts_of(raw: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """(path, shown path, lang, holder, key) of every text a caller may hear, in the raw flow:
    holder[key] is its value in lang."""
    for i, lang in enumerate(raw.get("languages", [])):
        yield f"languages.{lang['code']}.choose", f"languages.{i}.choose", lang["code"], lang, "choose"
    for pname, per_lang in raw.get("prompts", {}).items():
        if pname != "key_names" and isinstance(per_lang, dict):
            for lang in per_lang:
                yield f"prompts.{pname}", f"prompts.{pname}.{lang}", lang, per_lang, lang
    for node_id, spec in raw.get("nodes", {}).items():
        for part in ("prompt", "text"):
            for lang in spec.get(part, {}):
                yield f"nodes.{node_id}.{part}", f"nodes.{node_id}.{part}.{lang}", lang, spec[part], lang
        for key, opt in spec.get("options", {}).items():
            at = f"nodes.{node_id}.options.{key}.label"
            for lang in opt.get("label", {}):
                yield at, f"{at}.{lang}", lang, opt["label"], lang
    for qname, queue in raw.get("queues", {}).items():
        for lang in queue.get("label", {}):
            yield f"queues.{qname}.label", f"queues.{qname}.label.{lang}", lang, queue["label"], lang


def split_recorded(raw: dict[str, Any], audio_dir: Path,
                   display: str = "config/audio") -> tuple[dict[str, Any], Recordings]:
    """(the raw flow with words only, its Recordings). Each recording is checked: its parts say
    the text's variable parts, its files exist in audio_dir (missing ones are listed in
    `missing`). ConfigError for a recording that cannot say its text."""
    raw = copy.deepcopy(raw)
    keys = {*raw.get("keys", {}), *raw.get("answer_keys", {})}  # said by name: fixed by the flow file
    fixed = keys | {"helpline", "length", "lowest", "highest"}  # the survey's scale is 1 to 5
    found = Recordings()
    numbered: dict[str, str] = {}  # lang -> the first path with a number part
    for path, shown, lang, holder, key in list(texts_of(raw)):
        value = holder[key]
        if not isinstance(value, dict):
            continue
        holder[key] = text = value["text"]
        at = f"{shown}.audio"
        parts = _parts(value["audio"], text, fixed, keys, at)
        files = [p for p in parts if not p.startswith("{")]
        said = segments(text, parts, _fixed_words(raw, lang))
        for i, file in enumerate(files):
            relative = f"{lang}/{file}"
            found.transcripts[relative] = said[i] if i < len(said) else text
            if not (audio_dir / relative).is_file():
                found.missing.append(f"{at}: the recording {display}/{relative} is missing")
        if any(p.strip("{}") in NUMBER_PARTS for p in parts if p.startswith("{")):
            numbered.setdefault(lang, at)
        played = tuple(p if p.startswith("{") else f"{lang}/{p}" for p in parts)
        found.parts.setdefault(path, {})[lang] = played
        if path.startswith("prompts.") and len(parts) == 1:
            found.whole.setdefault(path.removeprefix("prompts."), {})[lang] = f"{lang}/{parts[0]}"
    for lang, at in numbered.items():
        names = raw.get("prompts", {}).get("key_names", {}).get(lang, {})
        for file in NUMBER_FILES:
            relative = f"{lang}/{file}"
            key = {"star": "*", "hash": "#"}.get(Path(file).stem, Path(file).stem)
            found.transcripts[relative] = str(names.get(key, key))
            if not (audio_dir / relative).is_file():
                found.missing.append(f"{at}: says a number, but {display}/{relative} is missing")
        for more in sorted((audio_dir / lang / "numbers").glob("*.wav")):  # 10.wav ...: said whole
            if more.stem.isdigit():
                found.transcripts.setdefault(f"{lang}/numbers/{more.name}", more.stem)
    return raw, found


def _fixed_words(raw: dict[str, Any], lang: str) -> dict[str, str]:
    """What the flow's fixed placeholders say in lang: keys by name, the helpline, the ID's length,
    the survey's scale."""
    names = raw.get("prompts", {}).get("key_names", {}).get(lang, {})
    keys = {**raw.get("keys", {}), **raw.get("answer_keys", {})}
    words = {name: str(names.get(key, key)) for name, key in keys.items()}
    return {**words, "helpline": str(raw.get("helpline", "")),
            "length": str(raw.get("id_number", {}).get("length", 8)),
            **scale_words({k: str(v) for k, v in names.items()})}


def _parts(audio: str | list[str], text: str, fixed: set[str], keys: set[str], at: str) -> list[str]:
    """The recording's parts, checked against the text it says."""
    names = placeholders(text)
    unrecordable = [n for n in names if n in UNRECORDABLE]
    if unrecordable:
        raise ConfigError(f"{at}: a recording cannot say what changes with each caller "
                          f"({{{unrecordable[0]}}}); keep this prompt as text (remove `audio`)")
    # A placeholder neither fixed nor one of the parts (a key the flow lacks, a typo) is the
    # placeholder checks' to name, with their fix; here it would read as a recording's fault.
    variable = [n for n in names if n not in fixed and n in NUMBER_PARTS | TEXT_PARTS]
    if isinstance(audio, str):
        if variable:
            raise ConfigError(
                f"{at}: a recording says the same words every time, but this prompt says "
                f"{{{variable[0]}}}; give the recording as parts, e.g. audio: [before.wav, "
                f"\"{{{variable[0]}}}\", after.wav] (README, \"Recorded prompts\"), or remove `audio`")
        return [audio]
    said = [p.strip("{}") for p in audio if p.startswith("{")]
    for name in said:
        if name not in names:
            raise ConfigError(f"{at}: the part \"{{{name}}}\" is not in the text; parts say the text's "
                              "placeholders")
        if name not in NUMBER_PARTS | TEXT_PARTS and name not in keys:
            raise ConfigError(f"{at}: \"{{{name}}}\" cannot be played as a part; say it inside a whole "
                              "recording (it is the same on every call)")
    left = [n for n in variable if n not in said]
    if left:
        raise ConfigError(f"{at}: the parts do not say {{{left[0]}}}; add \"{{{left[0]}}}\" where the "
                          "text says it")
    if said != [n for n in names if n in said]:
        raise ConfigError(f"{at}: the parts say the placeholders in another order than the text; "
                          "follow the text")
    return list(audio)


# Reads back what the caller said ({text}): a language with no voice does not offer it.
NOT_RECORDED_PROMPTS = frozenset({"record_heard"})


def unvoiced(raw: dict[str, Any]) -> list[str]:
    """The recordings-only languages: no `voice` (and no `say_language`)."""
    return [lang["code"] for lang in raw["languages"] if "voice" not in lang]


def check_recordings(raw: dict[str, Any], found: Recordings, display: str = "config/audio") -> None:
    """Every file a recording names exists, and a recordings-only language has a recording of
    every text its callers may hear; one ConfigError lists every problem and the fix."""
    problems = list(found.missing)
    for code in unvoiced(raw):
        for path, shown, lang, _, _ in texts_of(raw):
            if lang != code or path.removeprefix("prompts.") in NOT_RECORDED_PROMPTS:
                continue
            if lang not in found.parts.get(path, {}):
                file = suggested_file(path)
                problems.append(f"{shown}: no recording (language {code!r} has no voice); write "
                                f"{{text: ..., audio: {file}}} and add {display}/{code}/{file}")
    if len(problems) == 1:
        raise ConfigError(f"{problems[0]}; add the file (upload it on the flow map page) or remove `audio`")
    if problems:
        raise ConfigError(
            f"{len(problems)} recordings are missing: " + "; ".join(problems)
            + ". Add each file (or upload it on the flow map page); a language without `voice` is "
            "heard only from recordings, so give it a voice and say_language instead if it has one")


def suggested_file(path: str) -> str:
    """A file name for the recording of a text at path (prompts.welcome -> welcome.wav)."""
    parts = path.split(".")
    if parts[0] == "prompts":
        return f"{parts[1]}.wav"
    if parts[0] == "nodes" and parts[2] == "options":
        return f"{parts[1]}-option-{parts[3]}.wav".replace("*", "star").replace("#", "hash")
    if parts[0] == "nodes":
        return f"{parts[1]}-{parts[2]}.wav"
    if parts[0] == "queues":
        return f"queue-{parts[1]}.wav"
    return "choose.wav"
