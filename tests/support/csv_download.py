"""Reading a CSV download as a spreadsheet does: the UTF-8 byte order mark first, the header on
line 1, the table up to the first blank line, then the '#' notes (callcenter/reports/exports.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

BOM = b"\xef\xbb\xbf"


def csv_parts(response: Any) -> tuple[list[list[str]], list[list[str]]]:
    """The table (header first) and the notes after it. Fails unless the file starts with the
    BOM, a blank line ends the table and every line after it is a '#' note."""
    data = response.get_data()
    assert data.startswith(BOM), data[:20]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    end = rows.index([])
    notes = rows[end + 1:]
    assert notes and all(r and r[0].startswith("#") for r in notes), notes
    return rows[:end], notes


def csv_table(response: Any) -> list[list[str]]:
    """The header and the rows of a CSV download, without its notes."""
    return csv_parts(response)[0]
