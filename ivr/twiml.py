"""Speaking to the caller: TwiML built with the twilio library's VoiceResponse, in their language."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response
from twilio.twiml.voice_response import Gather, Say, VoiceResponse

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
        self.say(target, self.text(name, **values))

    def key(self, key: str) -> str:
        return self.flow.key_name(key, self.lang)

    def digits(self, digits: str) -> str:
        """Digits read one by one, with a short pause every few digits."""
        groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
        return ", ".join(" ".join(group) for group in groups)


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")
