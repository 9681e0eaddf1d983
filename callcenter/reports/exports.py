"""CSV downloads: every report, and the call detail records, streamed row by row.

Each file starts with '#' lines giving the period, the filters and the formula of every figure
(METRICS.md), then a header and the rows. Call detail records come from a server-side cursor
(yield_per), so a million rows stream in flat memory. Phone and ID numbers are masked unless the
reader may see them (admins).

Every text cell that starts with = + - @, a tab or a carriage return gets a leading single quote
(OWASP's CSV injection advice), so a spreadsheet shows an adviser's name, a transcript or a phone
number as text and never runs it as a formula: '+447700900123 reads as the number it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Response, stream_with_context
from sqlalchemy import func, select

from callcenter.reports.metrics import DASH, Filters, calls_in_period, seconds_between
from db import session as db
from db.models import Call, Caller, Capture, QueueEntry, User
from db.personal import mask_id, mask_phone
from db.states import CaptureStatus

CHUNK = 2_000
# https://owasp.org/www-community/attacks/CSV_Injection
_FORMULA_START = frozenset("=+-@\t\r")
CALL_COLUMNS = ("call_sid", "started", "ended", "duration_s", "language", "outcome", "last_ivr_node",
                "reason", "caller", "id_number", "queue", "leg_outcome", "enqueued", "wait_s", "talk_s",
                "acw_s", "adviser", "transferred_from_leg")


def _cell(value: Any) -> Any:
    """The value as a spreadsheet may safely read it: text a spreadsheet would take for a formula
    starts with a single quote; numbers and other text are kept as they are."""
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def _line(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([DASH if v is None else _cell(v) for v in values])
    return out.getvalue()


def _preamble(title: str, f: Filters, formulas: dict[str, str]) -> Iterator[str]:
    yield _line([f"# Jobline {title}", f"from {f.first_day}", f"to {f.last_day}", f"time zone {f.tz.key}",
                 "a call belongs to the period in which it started"])
    filters = {k: v for k, v in f.as_query().items() if k not in ("from", "to")}
    if filters:
        yield _line(["# filters"] + [f"{k}={v}" for k, v in filters.items()])
    for key, text in formulas.items():
        yield _line([f"# formula {key}", text])
    yield _line(["# — means the figure has nothing to divide by (zero denominator)"])


def _download(name: str, f: Filters, lines: Iterator[str]) -> Response:
    filename = f"jobline-{name}-{f.first_day}-{f.last_day}.csv"
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def report_csv(report: str, f: Filters, data: dict[str, Any]) -> Response:
    return _download(report, f, _report_lines(report, f, data))


def _report_lines(report: str, f: Filters, data: dict[str, Any]) -> Iterator[str]:
    yield from _preamble(f"{report} report", f, data["formulas"])
    if report == "queues":
        keys = list(data["total"])
        yield _line(["queue", "service_level_s", *keys])
        for name, figures in data["queues"].items():
            yield _line([name, figures["service_level_s"], *(figures[k] for k in keys)])
        yield _line(["all queues", "", *(data["total"][k] for k in keys)])
    elif report == "advisers":
        keys = list(data["total"])
        yield _line(["adviser_id", "adviser", *keys])
        for line in data["agents"]:
            yield _line([line["agent_id"], line["agent"], *(line[k] for k in keys)])
        yield _line(["", "all advisers", *(data["total"][k] for k in keys)])
    else:
        yield _line(["section", "name", "value", "of", "rate"])
        for key, value in data["total"].items():
            yield _line(["total", key, value, "", ""])
        for key, n in data["outcomes"].items():
            yield _line(["outcome", key, n, data["total"]["calls"], ""])
        for row in data["drop_off"]:
            yield _line(["drop_off", row["node"], row["hangups"], row["entered"], row["drop_off"]])
        for row in data["captures"]:
            yield _line(["capture", row["field"], row["captured"], row["asked"], row["capture_rate"]])
        for row in data["top_reasons"]:
            yield _line(["reason", row["reason"], row["calls"], "", ""])


def _local(value: datetime | None, f: Filters) -> str | None:
    # isoformat is several times faster than strftime, which counts over a million rows.
    return value.astimezone(f.tz).isoformat(" ", "seconds")[:19] if value else None


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def call_rows(f: Filters) -> Any:
    """The detail-record query: one row per queue leg (one per call for calls never queued)."""
    q = QueueEntry
    id_number = (select(func.max(Capture.value))
                 .where(Capture.call_id == Call.id, Capture.field == "id_number",
                        Capture.status == CaptureStatus.CAPTURED)
                 .scalar_subquery())
    stmt = (select(Call.sid, Call.started_at, Call.ended_at, Call.duration_s, Call.language, Call.outcome,
                   Call.node, Call.reason, Caller.phone, id_number.label("id_number"), q.queue,
                   q.outcome.label("leg_outcome"), q.enqueued_at,
                   seconds_between(func.coalesce(q.answered_at, q.left_at), q.enqueued_at).label("wait"),
                   seconds_between(q.ended_at, q.answered_at).label("talk"),
                   seconds_between(q.wrapped_at, q.ended_at).label("acw"), User.name.label("adviser"),
                   q.transferred_from_id)
            .select_from(Call).outerjoin(Caller, Caller.id == Call.caller_id)
            .outerjoin(q, q.call_id == Call.id).outerjoin(User, User.id == q.agent_id)
            .where(calls_in_period(f)).order_by(Call.started_at, Call.id, q.id))
    if f.queue:
        stmt = stmt.where(q.queue == f.queue)
    if f.agent_id is not None:
        stmt = stmt.where(q.agent_id == f.agent_id)
    return stmt


def calls_csv(f: Filters, *, full_numbers: bool) -> Response:
    """The call detail records of the period. The query is tried once with LIMIT 0 before the
    response starts, so a filter the database refuses is an error page rather than a download
    cut short; the rows then stream from a server-side cursor, opened inside the stream (a
    cursor opened here would not outlive the request's own commits on PostgreSQL)."""
    db.current().execute(call_rows(f).limit(0)).all()
    return _download("calls", f, _call_lines(f, full_numbers))


def _call_lines(f: Filters, full_numbers: bool) -> Iterator[str]:
    note = "phone and ID numbers in full" if full_numbers else "phone and ID numbers masked (admins see them)"
    yield from _preamble("call detail records", f, {
        "wait_s": "answered_at (or left_at) − enqueued_at of the leg", "talk_s": "ended_at − answered_at",
        "acw_s": "wrapped_at − ended_at (after-call work)", "numbers": note})
    yield _line(CALL_COLUMNS)
    phone = (lambda p: p or "") if full_numbers else mask_phone
    ident = (lambda v: v or "") if full_numbers else mask_id
    result = db.current().execute(call_rows(f).execution_options(yield_per=CHUNK))
    for rows in result.partitions():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for r in rows:
            writer.writerow([r.sid, _local(r.started_at, f), _local(r.ended_at, f) or "", r.duration_s,
                             _cell(r.language or ""), r.outcome or "in progress", _cell(r.node or ""),
                             _cell(r.reason or ""), _cell(phone(r.phone)), _cell(ident(r.id_number)),
                             _cell(r.queue or ""), r.leg_outcome or "", _local(r.enqueued_at, f) or "",
                             _seconds(r.wait), _seconds(r.talk), _seconds(r.acw), _cell(r.adviser or ""),
                             r.transferred_from_id or ""])
        yield out.getvalue()
