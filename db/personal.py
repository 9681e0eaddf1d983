"""Personal data: masking for logs and for screens whose role does not need the full value."""

from __future__ import annotations

import logging
import re

# A phone number (+ and 7-15 digits, single spaces allowed) or a run of 8-15 digits (national
# numbers, ID numbers), not part of an IP address, a time, a path or an identifier.
_PHONE_LIKE = re.compile(r"(?<![\w.:/-])(?:\+\d(?: ?\d){6,14}|\d{8,15})(?![\w.:/-])")


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


def mask_numbers(message: str) -> str:
    """Mask anything that looks like a phone or ID number inside free text."""
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group()), message)


def install_log_masking() -> None:
    """Mask numbers in every log record as it is created, whichever handler later writes it.

    A record factory (not a handler filter) so that records reaching any handler, including
    Python's last-resort one and gunicorn's, are already masked. Idempotent.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_numbers", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    factory.masks_numbers = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
