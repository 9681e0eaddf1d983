"""Speaking to the caller: TwiML built with the twilio library's VoiceResponse, in their language."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, has_request_context, url_for
from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather, Play, Say, VoiceResponse

from config.flow import Flow

SLOW_RATE = "80%"


@dataclass
class Speaker:
    """Says prompts from the flow in one language, slower when the caller asked for it."""

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

    def prompt(self, target: VoiceResponse | Gather, name: str, **values: object) -> None:
        self.speak(target, name, self.lang, self.text(name, **values))

    def speak(self, target: VoiceResponse | Gather, name: str, lang: str, text: str) -> None:
        """The prompt's recording in lang when the flow has one (config/flow_audio.py; it plays
        at its own pace, slow or not), else its text said by lang's voice."""
        recording = self.flow.recording(name, lang)
        if recording is not None and has_request_context():
            target.append(Play(prompt_url(self.flow, recording)))
        else:
            self.say(target, text, lang)

    def key(self, key: str) -> str:
        return self.flow.key_name(key, self.lang)

    def digits(self, digits: str) -> str:
        """Digits read one by one, with a short pause every few digits."""
        groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
        return ", ".join(" ".join(group) for group in groups)


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
