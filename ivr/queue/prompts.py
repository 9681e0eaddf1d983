"""What callers hear while queueing, asking for a callback or being called back, per language.

The texts live under `prompts:` in config/ivr.yaml with the rest of what callers hear (the
queue's and the callbacks' names are listed in config/flow_schema.py, QUEUE_PROMPTS: the flow
file must have each in every language), so the PES rewords them without a code change. A
language code the flow does not have (a stale hint in a URL) falls back to the flow's first
language rather than failing the call. The keys a prompt offers are placeholders filled from
the flow's `answer_keys` (config/flow_keys.py), the same keys the code checks.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.telephony.twiml import Speaker


def worded(sp: Speaker, name: str, **values: object) -> tuple[str, str]:
    """(language, text) of the flow file's prompt; a language without it falls back to the
    flow's first language (or English), its keys said in that language. KeyError when none of
    them has it."""
    texts = sp.flow.prompts.get(name) or {}
    for lang in (sp.lang, sp.flow.default_language, "en"):
        chosen = texts.get(lang)
        if chosen:
            return lang, sp.flow.fill(chosen, lang, **values)
    raise KeyError(f"prompt {name!r} has no text in {sp.lang!r}, the default language or English")


def text(sp: Speaker, name: str, **values: object) -> str:
    return worded(sp, name, **values)[1]


def say(sp: Speaker, target: VoiceResponse | Gather, name: str, **values: object) -> None:
    lang, words = worded(sp, name, **values)
    sp.speak(target, name, lang, words, **values)  # a fallback is said (or played) in its own language
