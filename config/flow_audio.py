"""Recorded prompts: a prompt's text in one language may come with a recording of it.

In config/ivr.yaml a prompt's value per language is either its text or
``{text: ..., audio: file.wav}``: the file lives in the flow's audio folder, ``audio/<lang>/``
beside the flow file (config/audio/en/thank-you.wav), and the text stays as its transcript (the
flow map, the web phone, anyone reading instead of listening). Callers hear the recording
(<Play>) instead of the text-to-speech voice.

A recording says the same words every time, so a prompt with a variable part ({digits},
{position}, a key's name ...) cannot have one: the boot refuses it, naming the prompt.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from config.settings import ROOT, ConfigError

DEFAULT_AUDIO_DIR = ROOT / "config" / "audio"


def audio_dir_of(flow_file: Path) -> Path:
    """Where a flow file's recordings live: the `audio` folder beside it."""
    return flow_file.resolve().parent / "audio"


def placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def split_recorded(prompts: dict[str, Any], audio_dir: Path,
                   display: str = "config/audio") -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """(prompts with text only, {prompt: {lang: "<lang>/<file>"}}), every file checked: it
    exists in audio_dir, and its prompt has no variable part. ConfigError names the prompt,
    the language and the missing path."""
    texts: dict[str, Any] = {}
    audio: dict[str, dict[str, str]] = {}
    for pname, per_lang in prompts.items():
        if pname == "key_names" or not isinstance(per_lang, dict):
            texts[pname] = per_lang
            continue
        texts[pname] = {}
        for lang, value in per_lang.items():
            if not isinstance(value, dict):
                texts[pname][lang] = value
                continue
            texts[pname][lang] = value["text"]
            at = f"prompts.{pname}.{lang}.audio"
            names = placeholders(value["text"])
            if names:
                raise ConfigError(
                    f"{at}: a recording says the same words every time, but this prompt says "
                    f"{{{names[0]}}}; keep it as text (remove `audio`)")
            relative = f"{lang}/{value['audio']}"
            if not (audio_dir / relative).is_file():
                raise ConfigError(
                    f"{at}: the recording {display}/{relative} is missing; add the file "
                    "(upload it on the flow map page) or remove `audio`")
            audio.setdefault(pname, {})[lang] = relative
    return texts, audio
