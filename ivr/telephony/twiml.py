"""Speaking to the caller: TwiML built with the twilio library's VoiceResponse, in their language."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import Response, has_request_context, url_for
from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather, Play, Say, VoiceResponse

from config.flow import Flow
from config.flow_audio import TEXT_PARTS

SLOW_RATE = "80%"


@dataclass
class Speaker:
    """Says prompts from the flow in one language, slower when the caller asked for it; plays
    their recordings where the flow has them (config/flow_audio.py), every text of a language
    with no voice."""

    flow: Flow
    lang: str
    slow: bool = False

    def text(self, name: str, **values: object) -> str:
        return self.flow.prompt(name, self.lang, **values)

    def say(self, target: VoiceResponse | Gather, text: str, lang: str | None = None) -> None:
        language = self.flow.language(lang or self.lang)
        say = Say(voice=language.voice, language=language.say_language)
        if self.slow:
            say.prosody(text, rate=SLOW_RATE)
        else:
            say.value = text
        target.append(say)

    def prompt(self, target: VoiceResponse | Gather, name: str, /, **values: object) -> None:
        self.speak(target, name, self.lang, self.text(name, **values), **values)

    def speak(self, target: VoiceResponse | Gather, name: str, lang: str, text: str, /,
              **values: object) -> None:
        """The prompt's recording in lang when the flow has one (it plays at its own pace, slow
        or not), else its text said by lang's voice."""
        self.said(target, f"prompts.{name}", text, lang, **values)

    def said(self, target: VoiceResponse | Gather, path: str, text: str, lang: str | None = None, /,
             **values: object) -> None:
        """The text at path in the flow ("nodes.main.prompt" ...): its recording, else its words."""
        lang = lang or self.lang
        parts = self.flow.recorded(path, lang)
        if parts is not None and has_request_context():
            for file in self.files(parts, lang, values):
                target.append(Play(prompt_url(self.flow, file)))
        else:
            self.say(target, text, lang)

    def files(self, parts: tuple[str, ...], lang: str, values: dict[str, object]) -> list[str]:
        """The recorded files ("<lang>/<file>") a recording's parts play, its placeholders
        filled: a number or key from numbers/, a label or queue name from its own recording."""
        files: list[str] = []
        keys = {**self.flow.keys, **asdict(self.flow.answer_keys)}
        key_chars = {name: key for key, name in self.flow.prompts["key_names"].get(lang, {}).items()}
        for part in parts:
            if not part.startswith("{"):
                files.append(part)
                continue
            name = part[1:-1]
            value = str(values.get(name, keys.get(name, "")))
            if name in TEXT_PARTS:
                label = self.flow.recorded_texts.get(lang, {}).get(value, ())
                files += [p for p in label if not p.startswith("{")]
                continue
            value = key_chars.get(value, value)  # a key said by its name ("star") is the key (*)
            if value.isdigit() and (self.flow.audio_dir / lang / "numbers" / f"{int(value)}.wav").is_file():
                files.append(f"{lang}/numbers/{int(value)}.wav")
                continue
            files += [f"{lang}/numbers/{DIGIT_FILES.get(ch, ch)}.wav"
                      for ch in value if ch in DIGIT_FILES or ch.isdigit()]
        return files

    def key(self, key: str) -> str:
        return self.flow.key_name(key, self.lang)

    def digits(self, digits: str) -> str:
        """Digits read one by one, with a short pause every few digits."""
        groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
        return ", ".join(" ".join(group) for group in groups)


DIGIT_FILES = {"*": "star", "#": "hash"}


def prompt_url(flow: Flow, recording: str) -> str:
    """The <Play> URL of a recorded prompt ("<lang>/<file>" in the flow's audio folder), served
    by ivr/views/prompt_audio.py; `v` (the file's version) makes a replaced file a new URL."""
    try:
        version = (flow.audio_dir / recording).stat().st_mtime_ns
    except OSError:
        version = 0
    return url_for("ivr_prompt_audio.static", filename=recording, v=version)


def twiml(response: VoiceResponse) -> Response:
    return Response(render(response), mimetype="text/xml")


_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;",
                            "\r": "&#13;", "\t": "&#09;"})
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def render(verb: TwiML) -> str:
    """The same document as str(verb) (the twilio library's to_xml), written straight to a string.

    The library builds an ElementTree and serialises it, which costs more than the rest of a
    menu step's Python; this writes the same bytes (tests/test_twiml_render.py compares them).
    """
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    _write(verb, parts.append)
    return "".join(parts)


def _write(verb: TwiML, out: Callable[[str], None]) -> None:
    out("<" + verb.name)
    for key in sorted(verb.attrs):
        value = verb.attrs[key]
        value = str(value).lower() if isinstance(value, bool) else str(value)
        out(f' {key}="{value.translate(_ATTRIBUTE)}"')
    text = json.dumps(verb.value) if isinstance(verb.value, dict) else verb.value
    if not text and not verb.verbs:
        out(" />")
        return
    out(">")
    if text:
        out(text.translate(_TEXT))
    for child in verb.verbs:
        if isinstance(child, str):
            out(child.translate(_TEXT))
        else:
            _write(child, out)
    out("</" + verb.name + ">")
