"""Personal data: masking for logs and for screens whose role does not need the full value."""

from __future__ import annotations

import logging
import re

_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def mask_phone(phone: str | None) -> str:
    """'+447700900123' -> '+44•••••••123'; keeps the country prefix and last three digits."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return "•" * len(digits)
    plus = "+" if phone.strip().startswith("+") else ""
    return f"{plus}{digits[:2]}{'•' * (len(digits) - 5)}{digits[-3:]}"


def mask_id(value: str | None) -> str:
    """An ID number with all but its last two digits hidden."""
    if not value:
        return ""
    return "•" * max(0, len(value) - 2) + value[-2:]


class MaskNumbersFilter(logging.Filter):
    """Masks anything that looks like a phone or ID number in a log record (defence in depth)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _PHONE_LIKE.sub(lambda m: mask_phone(m.group()), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
