"""Seconds as Twilio posts them (CallDuration, QueueTime, RecordingDuration, DialCallDuration),
read once, the same way everywhere.

A signed request is Twilio's, but a field may still hold what no call could: a superscript or
Arabic-Indic digit (`str.isdigit` accepts both, `int()` only some), or 10**30, which no database
integer column stores. Such a value is treated as absent, so each caller of `seconds()` falls
back to what it does without one (our own clock, "no audio"), and the webhook still answers 2xx.
"""

from __future__ import annotations

# Twilio ends every call at a hard limit on its length (https://www.twilio.com/docs/api/errors/
# 86006); a week of seconds is far beyond it and far inside a 32-bit integer column.
MAX_SECONDS = 7 * 24 * 3600


def seconds(value: str | None) -> int | None:
    """Whole seconds from ASCII digits within MAX_SECONDS; None for anything else."""
    text = (value or "").strip()
    if not text or len(text) > 7 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_SECONDS else None
