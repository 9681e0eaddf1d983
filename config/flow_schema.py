"""JSON Schema of config/ivr.yaml: the structure. Cross-references are checked in flow.py."""

from __future__ import annotations

from typing import Any

KEY = {"type": "string", "pattern": r"^[0-9*#]$"}
NODE_ID = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,63}$"}
TEXT = {"type": "string", "minLength": 1}
# A text said from a recording: the file in the flow's audio folder (config/audio/<lang>/, see
# config/flow_audio.py) and its words, kept as the transcript for the flow map, the web phone and
# anyone who reads rather than listens. A text with variable parts is recorded as parts: files
# and the text's placeholders, in order ([you-are-number.wav, "{position}", in-line.wav]).
AUDIO_FILE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.(wav|mp3)$"}
AUDIO_PART = {"anyOf": [AUDIO_FILE, {"type": "string", "pattern": r"^\{[a-z_]+\}$"}]}
RECORDED = {"type": "object", "required": ["text", "audio"], "additionalProperties": False,
            "properties": {"text": TEXT, "audio": {"anyOf": [
                AUDIO_FILE, {"type": "array", "items": AUDIO_PART, "minItems": 1}]}}}
TEXT_OR_RECORDED = {"anyOf": [TEXT, RECORDED]}
LOCALISED = {"type": "object", "additionalProperties": TEXT_OR_RECORDED, "minProperties": 1}
LOCALISED_TEXT = {"type": "object", "additionalProperties": TEXT, "minProperties": 1}  # shown, never heard
ACTIONS = ["menu", "say", "capture", "record", "voicemail", "queue", "hangup", "language"]
CAPTURE_FIELDS = ["id_number"]
SPOKEN_FIELDS = ["name", "reason", "town", "id_number"]
# The most callers a Twilio queue holds: "The maximum number of calls allowed to be in the queue.
# The default is 1000. The maximum is 5000." (Queue resource, MaxSize:
# https://www.twilio.com/docs/voice/api/queue-resource; warning 14207). A queue's `max_size`
# above it would promise places Twilio refuses.
TWILIO_QUEUE_MAX_SIZE = 5000

NODE: dict[str, Any] = {
    "type": "object",
    "required": ["action"],
    "properties": {
        "action": {"enum": ACTIONS},
        "prompt": LOCALISED,
        "text": LOCALISED,
        "sms": LOCALISED,  # say: the same information by text message (config/flow_texts.py)
        "next": NODE_ID,
        "options": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": KEY,
            "additionalProperties": {
                "type": "object",
                "required": ["label", "next"],
                "properties": {"label": LOCALISED, "next": NODE_ID},
                "additionalProperties": False,
            },
        },
        "field": {"enum": SPOKEN_FIELDS},
        "queue": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,31}$"},
        "spoken": NODE_ID,
        "max_seconds": {"type": "integer", "minimum": 2, "maximum": 60},
        "confirm": {"type": "boolean"},
        "route_by_intent": {"type": "boolean"},
    },
    "additionalProperties": False,
    "allOf": [
        {"if": {"properties": {"action": {"const": "menu"}}},
         "then": {"required": ["prompt", "options"]}},
        {"if": {"properties": {"action": {"const": "say"}}}, "then": {"required": ["text"]}},
        {"if": {"properties": {"action": {"const": "capture"}}},
         "then": {"required": ["field", "prompt", "next"],
                  "properties": {"field": {"enum": CAPTURE_FIELDS}}}},
        {"if": {"properties": {"action": {"const": "record"}}},
         "then": {"required": ["field", "prompt", "next"]}},
        {"if": {"properties": {"action": {"const": "queue"}}}, "then": {"required": ["queue"]}},
    ],
}

# The keys callers answer a question with outside the menus (`answer_keys`); which prompt offers
# which is PROMPT_KEYS below.
ANSWER_KEYS = ["callback", "message", "confirm", "retry", "talk_now", "take_call", "skip", "error_message"]

HOURS_RANGE = {"type": "string", "pattern": r"^(closed|\d\d:\d\d-\d\d:\d\d(,\s*\d\d:\d\d-\d\d:\d\d)*)$"}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["helpline", "languages", "keys", "answer_keys", "hours", "queues", "dispositions", "start",
                 "adviser", "prompts", "nodes"],
    "additionalProperties": False,
    "properties": {
        "helpline": TEXT,
        "languages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                # Without `voice` (and `say_language`), a language is heard only from recordings.
                "required": ["code", "key", "name", "choose"],
                "dependentRequired": {"voice": ["say_language"], "say_language": ["voice"]},
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "pattern": r"^[a-z]{2}$"},
                    "key": KEY,
                    "name": TEXT,
                    "voice": TEXT,
                    "say_language": {"type": "string", "pattern": r"^[a-z]{2}-[A-Z]{2}$"},
                    "choose": TEXT_OR_RECORDED,
                },
            },
        },
        "keys": {
            "type": "object",
            "required": ["adviser", "repeat", "back", "slower"],
            "additionalProperties": False,
            "properties": {k: KEY for k in ("adviser", "repeat", "back", "slower")},
        },
        "answer_keys": {
            "type": "object",
            "required": ANSWER_KEYS,
            "additionalProperties": False,
            # send_text: needed once a message has an `sms` text (config/flow_texts.py)
            "properties": {k: KEY for k in [*ANSWER_KEYS, "send_text"]},
        },
        "hours": {
            "type": "object",
            "required": ["timezone", "weekly"],
            "additionalProperties": False,
            "properties": {
                "timezone": TEXT,
                "weekly": {
                    "type": "object",
                    "required": DAYS,
                    "additionalProperties": False,
                    "properties": {d: HOURS_RANGE for d in DAYS},
                },
                "holidays": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["date", "name"],
                        "additionalProperties": False,
                        "properties": {"date": {"type": "string", "format": "date"}, "name": TEXT},
                    },
                },
            },
        },
        "id_number": {
            "type": "object",
            "required": ["length", "checksum"],
            "additionalProperties": False,
            "properties": {
                "length": {"type": "integer", "minimum": 4, "maximum": 20},
                "checksum": {"enum": ["luhn", "mod11", "none"]},
            },
        },
        "queues": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^[a-z][a-z0-9_]{0,31}$"},
            "additionalProperties": {
                "type": "object",
                "required": ["label", "languages", "service_level_s", "max_wait_s", "max_size"],
                "additionalProperties": False,
                "properties": {
                    "label": LOCALISED,
                    "languages": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "service_level_s": {"type": "integer", "minimum": 5, "maximum": 3600},
                    "max_wait_s": {"type": "integer", "minimum": 30, "maximum": 14400},
                    "max_size": {"type": "integer", "minimum": 1, "maximum": TWILIO_QUEUE_MAX_SIZE},
                    "priority": {"type": "integer", "minimum": 0, "maximum": 100},
                    # pull: advisers take callers from the list; offer: Jobline rings one adviser
                    # at a time (callcenter/routing/offers.py), who accepts within offer_timeout_s.
                    "mode": {"enum": ["pull", "offer"]},
                    "offer_timeout_s": {"type": "integer", "minimum": 5, "maximum": 120},
                    "survey": {"type": "boolean"},  # one question after the call (config/flow_survey.py)
                },
            },
        },
        # Outside numbers an adviser may transfer a caller to: the only ones (no free dialling).
        "directory": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "label", "number"],
                "additionalProperties": False,
                "properties": {"code": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,31}$"},
                               "label": TEXT,
                               "number": {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}},
            },
        },
        "dispositions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "label"],
                "additionalProperties": False,
                "properties": {"code": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,31}$"},
                               "label": TEXT},
            },
        },
        "intents": {
            "type": "object",
            "required": ["threshold", "routes"],
            "additionalProperties": False,
            "properties": {
                "threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "routes": {
                    "type": "object",
                    "propertyNames": {"pattern": r"^[a-z][a-z0-9_]{0,31}$"},
                    "additionalProperties": {
                        "type": "object",
                        "required": ["next", "phrases"],
                        "additionalProperties": False,
                        "properties": {
                            "next": NODE_ID,
                            "phrases": {"type": "object", "additionalProperties": {
                                "type": "array", "items": TEXT, "minItems": 1}},
                            "label": LOCALISED_TEXT,  # what reports show; without one, the code as words
                        },
                    },
                },
            },
        },
        "wallboard": {  # thresholds that turn a figure red on the wallboard (issue 5)
            "type": "object",
            "required": ["service_level_goal", "abandon_limit", "waiting_limit"],
            "additionalProperties": False,
            "properties": {
                "service_level_goal": {"type": "number", "minimum": 0, "maximum": 100},
                "abandon_limit": {"type": "number", "minimum": 0, "maximum": 100},
                "waiting_limit": {"type": "integer", "minimum": 0, "maximum": 10000},
            },
        },
        "offers": {  # offer-mode queues, floor-wide (issue 16)
            "type": "object",
            "required": ["misses_before_away"],
            "additionalProperties": False,
            "properties": {"misses_before_away": {"type": "integer", "minimum": 1, "maximum": 20}},
        },
        "start": NODE_ID,
        "adviser": NODE_ID,
        "prompts": {
            "type": "object",
            "properties": {"key_names": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": TEXT}}},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": TEXT_OR_RECORDED,
            },
        },
        "nodes": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": NODE_ID,
            "additionalProperties": NODE,
        },
    },
}

# Prompts the engine speaks itself; each must exist for every language.
ENGINE_PROMPTS = [
    "welcome", "option", "key_names", "repeat_hint", "adviser_hint", "back_hint", "slower_hint",
    "slower_on", "after_info", "invalid", "no_input", "to_person", "goodbye", "hours", "closed",
    "holiday", "self_service_open", "voicemail", "voicemail_saved", "voicemail_empty",
    "queue_requested", "error", "error_offer", "capture_readback", "capture_invalid",
    "capture_thanks", "capture_gave_up", "record_heard", "record_no_speech", "record_thanks",
    "record_wait", "record_skip_offer", "spoken_id_failed",
    "callback_abroad", "callback_costly", "callback_too_many",  # a callback number refused, and why
]
# Prompts of the queue, the callback request and the call back (ivr/queue/prompts.py speaks them),
# of the off-box fallback (ivr/offline_twiml.py) and the adviser's whisper; required as above.
QUEUE_PROMPTS = [
    "queue_joined", "queue_next", "queue_position", "queue_wait_one", "queue_wait",
    "queue_callback_hint", "queue_connecting", "queue_no_advisers", "queue_full", "queue_long_wait",
    "queue_offer", "callback_readback", "callback_enter", "callback_typed", "callback_invalid",
    "callback_booked_one", "callback_booked", "callback_booked_later", "adviser_missed",
    "transferring", "callback_greeting", "callback_try_later", "service_down", "service_down_dial",
    "whisper",
]
REQUIRED_PROMPTS = ENGINE_PROMPTS + QUEUE_PROMPTS

# The keys each prompt tells the caller to press, said as placeholders ("press {callback}") and
# checked by the code from the same entry of `answer_keys` (or `keys`: error_offer's adviser), so
# what is said and what works cannot differ. Each language's text must say every one of its
# prompt's keys, and no two of them may be the same key (config/flow_keys.py).
PROMPT_KEYS: dict[str, tuple[str, ...]] = {
    "queue_callback_hint": ("callback",),
    "queue_offer": ("callback", "message"),
    "callback_readback": ("confirm", "retry"),
    "callback_typed": ("confirm", "retry"),
    "capture_readback": ("confirm", "retry"),
    "record_heard": ("confirm", "retry"),
    "callback_greeting": ("talk_now",),
    "whisper": ("take_call",),
    "record_skip_offer": ("skip",),
    "error_offer": ("adviser", "error_message"),
}
