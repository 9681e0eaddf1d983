"""How the desk reads the numbers and dates clients send: row ids in paths, JSON bodies and query
strings, and report days. One rule each, so the API, its OpenAPI description and the report
pages refuse the same values with the same sentences.

A value no database row can have is refused here, before SQL: the ids are INTEGER columns, which
PostgreSQL refuses to compare with a number past 2**31 - 1 ("integer out of range") and SQLite's
driver cannot even bind from 2**63 up (OverflowError); and a JSON `true` is a Python int (== 1).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from werkzeug.routing import IntegerConverter

# The largest id a row can have: ids are INTEGER columns, 32-bit signed on PostgreSQL.
ID_MAX = 2**31 - 1
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
# Report days: years Jobline could have calls in. Outside them a period's bounds cannot even be
# computed (date.max + 1 day overflows), and nothing would be found anyway.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
_DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: str.isdigit() also accepts '²' and '١'


class BadParameter(ValueError):
    """A value that cannot be used; the message is a sentence saying which and what to send."""


class RowIdConverter(IntegerConverter):
    """Flask's `<int:...>` limited to ids a row can have: a larger number matches no route
    (404, "Nothing is at this address") instead of failing in the database driver."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def body_row_id(value: Any, name: str, what: str) -> int:
    """`value` from a JSON body as a row id: a whole number from 1 to ID_MAX, not true/false
    (which Python counts as 1/0). Raises BadParameter naming `name` and `what` it should be."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise BadParameter(f"{name} must be the number of {what} (a whole number from 1 to {ID_MAX}).")
    return value


def query_row_id(text: str, name: str, what: str) -> int:
    """`text` from a query string as a row id (ASCII digits, 1 to ID_MAX); else BadParameter."""
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= ID_MAX:
        raise BadParameter(f"{name} must be the number of {what} (a whole number from 1 to {ID_MAX}).")
    return int(text)


def report_day(text: str, name: str) -> date:
    """`text` as a local day written YYYY-MM-DD, between FIRST_DAY and LAST_DAY; else BadParameter."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadParameter(f"{name} must be a date written YYYY-MM-DD.") from None
    if not FIRST_DAY <= day <= LAST_DAY or len(text) != 10:
        raise BadParameter(f"{name} must be a date written YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}.")
    return day
