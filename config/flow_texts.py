"""Information by text message: the `sms:` texts of config/ivr.yaml's information (`say`) nodes.

A `say` node may carry, beside what callers hear (`text`), what they can get by SMS (`sms`), in
every language. After the message the caller hears `prompts.text_offer` ("To get this by text
message, press {send_text}.") and presses `answer_keys.send_text`; the desk offers advisers the
same texts. The key must differ from the keys the choice after a message offers (`keys.repeat`,
`keys.back`, `keys.adviser`), and the prompts below must exist in every language.

A text is at most 1600 characters, the most Twilio's Messages API takes in a Body
(https://www.twilio.com/docs/messaging/api/message-resource, `body`); longer than one SMS
segment (160 GSM-7 characters, or 70 when the text needs Unicode, e.g. Korean or accents
outside GSM-7) it is sent as several segments and charged per segment: `segments` counts them,
and the flow map shows the count beside each text.
"""

from __future__ import annotations

from typing import Any

from config.flow_checks import every_language
from config.flow_keys import placeholders
from config.settings import ConfigError

MAX_BODY = 1600
# Prompts a flow with texts speaks (ivr/actions/texts.py); required once a node has `sms`.
TEXT_PROMPTS = ("text_offer", "text_sent", "text_withheld", "text_limit")
AFTER_INFO_KEYS = ("repeat", "back", "adviser")
# GSM 03.38's basic set and its extension table (an extension character takes two septets).
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXT = set("^{}\\[~]|€\f")


def segments(text: str) -> int:
    """How many SMS segments a text is sent as: 160 GSM-7 septets in one (153 each when split),
    else 70 UCS-2 characters (67 each when split)."""
    if all(ch in _GSM or ch in _GSM_EXT for ch in text):
        size = sum(2 if ch in _GSM_EXT else 1 for ch in text)
        return 1 if size <= 160 else -(-size // 153)
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return 1 if units <= 70 else -(-units // 67)


def check_texts(raw: dict[str, Any], codes: list[str]) -> dict[str, dict[str, str]]:
    """node id -> language -> text of every node with `sms`, checked; ConfigError names the path
    and the fix."""
    texts: dict[str, dict[str, str]] = {}
    for node_id, spec in raw["nodes"].items():
        if "sms" not in spec:
            continue
        at = f"nodes.{node_id}.sms"
        if spec["action"] != "say":
            raise ConfigError(f"{at}: only an information message (action 'say') can be sent by text; "
                              "remove it or move it to the message's node")
        every_language(spec["sms"], codes, at)
        for code, body in spec["sms"].items():
            if len(body) > MAX_BODY:
                raise ConfigError(f"{at}.{code}: {len(body)} characters; a text message holds at most "
                                  f"{MAX_BODY} (Twilio's limit): shorten it")
            if placeholders(body, f"{at}.{code}"):
                raise ConfigError(f"{at}.{code}: a text message is sent as written; remove the {{...}}")
        texts[node_id] = dict(spec["sms"])
    if texts:
        _check_key_and_prompts(raw, codes)
    return texts


def _check_key_and_prompts(raw: dict[str, Any], codes: list[str]) -> None:
    key = raw["answer_keys"].get("send_text")
    if key is None:
        raise ConfigError("answer_keys.send_text: missing; messages have `sms` texts, so callers need a "
                          "key to ask for them (e.g. send_text: \"1\")")
    if key == "#":
        raise ConfigError("answer_keys.send_text: '#' alone sends no key to Jobline; choose a digit")
    for name in AFTER_INFO_KEYS:
        if raw["keys"][name] == key:
            raise ConfigError(f"answer_keys.send_text: {key!r} is also the key of {name!r} (keys.{name}), "
                              "which the choice after a message offers; give it its own key")
    for pname in TEXT_PROMPTS:
        if pname not in raw["prompts"]:
            raise ConfigError(f"prompts.{pname}: missing (messages have `sms` texts; add it per language)")
    for code in codes:
        if "send_text" not in placeholders(raw["prompts"]["text_offer"][code], f"prompts.text_offer.{code}"):
            raise ConfigError(f"prompts.text_offer.{code}: does not say the key of 'send_text'; write "
                              "{send_text} where the key is said")
