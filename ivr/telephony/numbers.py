"""Phone-number rules, written once: what counts as a caller's number, which numbers Jobline
will call back, and which number it may call from.

- A caller ID is a number only when it is E.164 and not one of the digit strings Twilio puts in
  `From` for a withheld caller (or the words themselves, which are not E.164 anyway): a withheld
  caller gets no caller row, no remembered language and no history, and is asked for a number.
- A callback number must be of the helpline's country (CALLBACK_COUNTRY_CODE, or the prefixes
  in CALLBACK_ALLOWED_PREFIXES) and not a premium-rate, shared-cost or personal-number range:
  otherwise a caller could make the helpline ring an expensive number for them (toll fraud).
- Callbacks ring from TWILIO_CALLER_ID, which may not be toll-free.
- Fictional numbers (`is_fictional`: Ofcom's drama ranges, North America's 555-01xx) are the
  demo's and the tests' callers. They are taken like any number when a caller books a callback
  (the web phone's callers have them, and the simulator and the test mocks stand in for Twilio
  there); it is the REST dial to Twilio itself that refuses them (callcenter/routing/callbacks.py),
  so a real account never rings one.

Number types (premium rate, toll-free, ...) come from libphonenumber's metadata (the
`phonenumbers` package, Google's numbering-plan data for every country), not from a table kept
here: e.g. UK 09xx, 087x and 084x are premium rate, 070 personal numbers, 0800/0808 toll-free;
North America's 900 premium, 800/888/877/866/855/844/833 toll-free.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType

from config import settings
from config.settings import ConfigError

E164 = re.compile(r"^\+[1-9]\d{5,14}$")
E164_MAX_DIGITS = 15  # ITU-T E.164: country code and national number together
INTERNATIONAL_PREFIX = "00"
NATIONAL_PREFIX = "0"
# The longest number a caller may key in: 00, then a full-length E.164 number.
MAX_KEYED_DIGITS = len(INTERNATIONAL_PREFIX) + E164_MAX_DIGITS

# What Twilio puts in From when the caller withheld their number (older calls), each the keypad
# spelling of the word it stands for; newer calls carry the word itself ("anonymous").
# https://help.twilio.com/articles/223179988-Why-am-I-getting-calls-from-these-strange-numbers-
# https://www.twilio.com/en-us/changelog/upcoming-changes-to-withheld-caller-ids-behavior-for-dial-calls
WITHHELD_NUMBERS = {
    "+266696687": "ANONYMOUS",
    "+7378742833": "RESTRICTED",
    "+86282452253": "UNAVAILABLE",
    "+8656696": "UNKNOWN",
    "+2562533": "BLOCKED",
}

# Ranges a callback never rings: the called number sets the price (premium rate, shared cost),
# or it forwards anywhere the holder likes (personal numbers, UK 070), or it reaches no person.
COSTLY_TYPES = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST,
                          PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER,
                          PhoneNumberType.VOICEMAIL})

CALLER_ID_EXAMPLE = "+441632960000"

# Ofcom's numbers for TV and radio drama, never given to anyone: each prefix is followed by
# three digits (07700 900000-900999, 020 7946 0000-0999, 0113 496 0000-0999, ...).
# (Ofcom, "Telephone numbers for use in TV and radio drama programmes").
FICTION_MOBILE = "+447700900"  # the web phone's callers (callcenter/webphone)
FICTION_GEOGRAPHIC = ("+442079460", "+441134960", "+441144960", "+441154960", "+441164960",
                      "+441174960", "+441184960", "+441214960", "+441314960", "+441414960",
                      "+441514960", "+441614960", "+441914980", "+442920180", "+441632960")
FICTION_FREEPHONE = "+448081570"  # 0808 157 0000-0999
FICTION_PREFIXES = (FICTION_MOBILE, *FICTION_GEOGRAPHIC, FICTION_FREEPHONE,
                    "+449098790", "+443069990")  # premium rate 0909 879, UK-wide 0306 999
FICTION_RANGE_SIZE = 1000
# North America: 555-0100 to 555-0199 in every area code are for fiction.
FICTION_NANP = re.compile(r"^\+1[2-9]\d{2}55501\d{2}$")


class Refusal(StrEnum):
    """Why a number is not called back; each value is the prompt the caller hears."""

    INVALID = "callback_invalid"
    ABROAD = "callback_abroad"
    COSTLY = "callback_costly"
    TOO_MANY = "callback_too_many"


def written_number(raw: str | None) -> str:
    """A number as a person wrote it ("+44 7700 900-123" less the punctuation): spaces,
    brackets, dots and hyphens dropped, nothing else changed or checked ('' for nothing)."""
    return re.sub(r"[\s().-]", "", raw or "")


def caller_number(value: str | None) -> str | None:
    """The caller's number from a webhook field, or None when it is withheld ("anonymous",
    "+266696687") or not E.164: such a value is neither stored nor remembered."""
    value = (value or "").strip()
    return value if E164.match(value) and value not in WITHHELD_NUMBERS else None


def _type(phone: str) -> int:
    try:
        return phonenumbers.number_type(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return PhoneNumberType.UNKNOWN


def is_toll_free(phone: str) -> bool:
    """Twilio advises against toll-free numbers as caller ID on outbound calls (carriers filter
    them): https://support.twilio.com/hc/en-us/articles/360005772753-International-Voice-Quirks"""
    return _type(phone) == PhoneNumberType.TOLL_FREE


def is_fictional(phone: str | None) -> bool:
    """Is this a number kept for fiction (Ofcom's drama ranges, North America's 555-01xx), which
    rings no one: the demo's callers, the web phone's, the tests'."""
    phone = phone or ""
    if FICTION_NANP.match(phone):
        return True
    return any(phone.startswith(p) and len(phone) == len(p) + 3 and phone[len(p):].isdigit()
               for p in FICTION_PREFIXES)


def fiction_number(prefix: str, n: int) -> str:
    """The n-th number (0-999) of a drama range, e.g. ('+442079460', 7) -> '+442079460007'."""
    if prefix not in FICTION_PREFIXES or not 0 <= n < FICTION_RANGE_SIZE:
        raise ValueError(f"not a drama-range number: {prefix} and {n}")
    return f"{prefix}{n:03d}"


def dialable_refusal(phone: str | None) -> Refusal | None:
    """Why Jobline must not ring this number wherever it is (an adviser's phone, a callback):
    not a number, a withheld-ID sentinel, or a costly range. None: it may be rung."""
    if phone is None or caller_number(phone) is None:
        return Refusal.INVALID
    if _type(phone) in COSTLY_TYPES:
        return Refusal.COSTLY
    return None


def allowed_prefixes(config: Mapping[str, Any]) -> tuple[str, ...]:
    """CALLBACK_ALLOWED_PREFIXES as a tuple, given as one (settings) or comma-separated."""
    raw = config.get("CALLBACK_ALLOWED_PREFIXES") or ()
    parts = raw.split(",") if isinstance(raw, str) else raw
    return tuple(p.strip() for p in parts if p.strip())


@dataclass(frozen=True)
class CallbackPolicy:
    """Which numbers a callback may ring, from CALLBACK_COUNTRY_CODE and CALLBACK_ALLOWED_PREFIXES."""

    country_code: str
    allowed_prefixes: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CallbackPolicy:
        country = str(config.get("CALLBACK_COUNTRY_CODE") or settings.CALLBACK_COUNTRY_CODE)
        return cls(country, allowed_prefixes(config) or (f"+{country}",))

    def keyed(self, digits: str) -> str | None:
        """Keyed-in digits as E.164: 00 starts an international number, anything else is a
        national one (with or without its leading 0). None: not a phone number at all."""
        digits = digits.rstrip("#")
        if not digits.isdigit():
            return None
        if digits.startswith(INTERNATIONAL_PREFIX):
            phone = "+" + digits[len(INTERNATIONAL_PREFIX):]
        else:
            phone = f"+{self.country_code}{digits.removeprefix(NATIONAL_PREFIX)}"
        return phone if E164.match(phone) else None

    def as_keyed(self, phone: str) -> str:
        """The number as a caller of this country would key it: 0 and the national number for
        the helpline's country, 00 and the full number for any other."""
        own = f"+{self.country_code}"
        if phone.startswith(own):
            return NATIONAL_PREFIX + phone[len(own):]
        return INTERNATIONAL_PREFIX + phone.removeprefix("+")

    def refusal(self, phone: str | None) -> Refusal | None:
        """Why this number is not called back (the prompt that says so), or None to accept it."""
        refused = dialable_refusal(phone)
        if refused is not None:
            return refused
        if not str(phone).startswith(self.allowed_prefixes):
            return Refusal.ABROAD
        return None


def callback_caller_id_problem(config: Mapping[str, Any]) -> str | None:
    """Why callbacks are not offered with this configuration (a sentence for /healthz and the
    desk, naming the setting but not its value), or None when TWILIO_CALLER_ID can place them."""
    caller_id = str(config.get("TWILIO_CALLER_ID") or "")
    if not caller_id:
        return ("TWILIO_CALLER_ID is not set, so callers are not offered callbacks: set it to a "
                "local or national number of the Twilio account.")
    return _caller_id_error(caller_id)


@functools.lru_cache(maxsize=8)  # asked on every turn of the hold loop; the setting never changes
def _caller_id_error(caller_id: str) -> str | None:
    if caller_number(caller_id) is None:
        return (f"TWILIO_CALLER_ID must be a phone number of the Twilio account in international "
                f"form, e.g. {CALLER_ID_EXAMPLE}.")
    if is_toll_free(caller_id):
        return ("TWILIO_CALLER_ID is a toll-free number; Twilio advises against toll-free numbers "
                "as caller ID for outbound calls: use a local or national number of the account.")
    return None


def check_config(config: Mapping[str, Any]) -> None:
    """Stop the boot on a number setting that would make callbacks fail or cost the PES: a
    TWILIO_CALLER_ID that is not a number or is toll-free (unset is allowed: no callbacks), a
    country code or allowed prefix that is not digits, a per-number limit below one."""
    caller_id = str(config.get("TWILIO_CALLER_ID") or "")
    problem = _caller_id_error(caller_id) if caller_id else None
    if problem:
        raise ConfigError(problem)
    country = str(config.get("CALLBACK_COUNTRY_CODE") or settings.CALLBACK_COUNTRY_CODE)
    if not re.fullmatch(r"[1-9]\d{0,2}", country):
        raise ConfigError(f"CALLBACK_COUNTRY_CODE={country!r} must be a country calling code "
                          "without + or 00, e.g. 44.")
    for prefix in allowed_prefixes(config):
        if not re.fullmatch(r"\+[1-9]\d{0,13}", prefix):
            raise ConfigError(f"CALLBACK_ALLOWED_PREFIXES: {prefix!r} must be the start of a number "
                              "in international form, e.g. +44 or +447 (comma-separated).")
    if int(config.get("CALLBACK_MAX_PENDING_PER_NUMBER") or 0) < 1:
        raise ConfigError("CALLBACK_MAX_PENDING_PER_NUMBER must be 1 or more.")
