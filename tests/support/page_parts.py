"""Reading what an admin sees on the privacy and audit pages (stdlib HTML parser)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Parts(HTMLParser):
    """Collects the text of elements carrying data-count, and the rows of tables by data-action."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, str] = {}
        self.rows: list[tuple[str, list[str]]] = []
        self._count: str | None = None
        self._row: tuple[str, list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-count" in a:
            self._count = a["data-count"]
        if tag == "tr" and a.get("data-action"):
            self._row = (a["data-action"] or "", [])
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._count is not None:
            self.counts[self._count] = data.strip()
            self._count = None
        if self._cell is not None:
            self._cell.append(data)


def counts_on(html: str) -> dict[str, int]:
    """The figures shown with data-count="kind" (the last one of each kind on the page)."""
    parts = _Parts()
    parts.feed(html)
    return {k: int(v) for k, v in parts.counts.items()}


def audit_rows(html: str) -> list[tuple[str, list[str]]]:
    """The audit log's rows: (action, [when, who, what, on, detail])."""
    parts = _Parts()
    parts.feed(html)
    return parts.rows
