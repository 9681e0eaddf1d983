"""CSV downloads: every report, and the call detail records, streamed row by row.

Every file opens cleanly in Excel and LibreOffice Calc: it starts with the UTF-8 byte order mark
(without it Excel reads UTF-8 as the local code page, so "—" and "é" turn to mojibake) and its
header row is line 1, so both take the first line as the column names and a script can read the
file with any CSV reader. What the figures mean (the period, the filters, the formula of every
figure as in METRICS.md) follows the table in a trailing block of '#' lines after one blank line.
A trailing block rather than a companion file: the figures and their formulas travel as one
download that both programs open directly (Excel on a double-click; LibreOffice through the Text
Import dialog it shows for every .csv, prefilled with UTF-8 and commas), and the blank line ends
the table, so sorting, filters and pivot tables stop at the last row of figures.

Codes become words: queues, languages and dispositions carry their labels from the flow
(config/ivr.yaml) next to the code that filters and scripts use; intents, menu steps and other
codes the flow does not label are spelled as words. Durations are h:mm:ss (columns ending _hms).

Call detail records come from a server-side cursor (yield_per), so a million rows stream in flat
memory. Phone and ID numbers are masked unless the reader may see them (admins); advisers' notes
are there only for the roles that read them on the desk (supervisors).

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
from sqlalchemy import case, func, or_, select

from callcenter.reports.metrics import DASH, Filters, calls_in_period, hms, seconds_between
from callcenter.reports.wording import ScreenLabels, words
from config import settings
from config.flow import Flow, load_flow
from db import session as db
from db.models import Call, Callback, Caller, Capture, QueueEntry, User
from db.personal import mask_id, mask_phone
from db.states import CaptureStatus, LegOutcome

CHUNK = 2_000
BOM = "\ufeff"
# https://owasp.org/www-community/attacks/CSV_Injection
_FORMULA_START = frozenset("=+-@\t\r")
CALL_COLUMNS = ("call_sid", "started", "ended", "duration_hms", "language", "language_name", "outcome",
                "last_ivr_node", "reason", "reason_label", "caller", "id_number", "queue", "queue_label",
                "leg_outcome", "enqueued", "wait_hms", "talk_hms", "acw_hms", "adviser", "disposition",
                "notes", "transferred_from_leg")


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


def _head(key: str) -> str:
    """A figure's column name: a duration in seconds (key ending _s) is shown as h:mm:ss."""
    return key[:-2] + "_hms" if key.endswith("_s") else key


def _figure(key: str, value: Any) -> Any:
    return hms(value) if key.endswith("_s") and isinstance(value, int | float) else value


class Labels(ScreenLabels):
    """The flow's words for its codes, as the report pages name them (queues, reasons), plus
    languages and dispositions; a code the flow no longer knows is shown as it is."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.languages = {lang.code: lang.name for lang in flow.languages}
        self.dispositions = dict(flow.dispositions)

    def language(self, code: str | None) -> str:
        return self.languages.get(code, code) if code else ""

    def disposition(self, code: str | None) -> str:
        return self.dispositions.get(code, code) if code else ""


def _trailer(title: str, f: Filters, formulas: dict[str, str]) -> Iterator[str]:
    """The notes after the table: one blank line, then '#' lines."""
    yield "\r\n"
    yield _line([f"# Jobline {title}", f"from {f.first_day}", f"to {f.last_day}", f"time zone {f.tz.key}",
                 "a call belongs to the period in which it started"])
    filters = {k: v for k, v in f.as_query().items() if k not in ("from", "to")}
    if filters:
        yield _line(["# filters"] + [f"{k}={v}" for k, v in filters.items()])
    for key, text in formulas.items():
        yield _line([f"# formula {_head(key)}", text])
    yield _line(["# durations (columns ending _hms) are hours:minutes:seconds"])
    yield _line(["# — means the figure has nothing to divide by (zero denominator)"])


def _download(name: str, f: Filters, lines: Iterator[str]) -> Response:
    filename = f"jobline-{name}-{f.first_day}-{f.last_day}.csv"
    return Response(stream_with_context(_with_bom(lines)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield BOM
    yield from lines


def report_csv(report: str, f: Filters, data: dict[str, Any], flow: Flow) -> Response:
    return _download(report, f, _report_lines(report, f, data, Labels(flow)))


def _report_lines(report: str, f: Filters, data: dict[str, Any], labels: Labels) -> Iterator[str]:
    if report == "queues":
        keys = list(data["total"])
        yield _line(["queue", "queue_label", "service_level_hms", *map(_head, keys)])
        for name, figures in data["queues"].items():
            yield _line([name, labels.queue(name), hms(figures["service_level_s"]),
                         *(_figure(k, figures[k]) for k in keys)])
        yield _line(["all queues", "", "", *(_figure(k, data["total"][k]) for k in keys)])
    elif report == "advisers":
        keys = list(data["total"])
        yield _line(["adviser_id", "adviser", *map(_head, keys)])
        for line in data["agents"]:
            yield _line([line["agent_id"], line["agent"], *(_figure(k, line[k]) for k in keys)])
        yield _line(["", "all advisers", *(_figure(k, data["total"][k]) for k in keys)])
    elif report == "survey":  # the question after the call, one line per queue, adviser, language
        keys = list(data["total"])
        yield _line(["by", "code", "name", *keys])
        for name, figures in data["queues"].items():
            yield _line(["queue", name, labels.queue(name), *(figures[k] for k in keys)])
        for line in data["advisers"]:
            yield _line(["adviser", line["agent_id"], line["agent"], *(line[k] for k in keys)])
        for code, figures in data["languages"].items():
            yield _line(["language", code, labels.language(code), *(figures[k] for k in keys)])
        yield _line(["all", "", "all surveys", *(data["total"][k] for k in keys)])
    else:
        yield _line(["section", "name", "label", "value", "of", "rate"])
        for key, value in data["total"].items():
            yield _line(["total", key, words(key), _figure(key, value), "", ""])
        for key, n in data["outcomes"].items():
            yield _line(["outcome", key, words(key), n, data["total"]["calls"], ""])
        for row in data["drop_off"]:
            yield _line(["drop_off", row["node"], words(row["node"]), row["hangups"], row["entered"],
                         row["drop_off"]])
        for row in data["captures"]:
            yield _line(["capture", row["field"], words(row["field"]), row["captured"], row["asked"],
                         row["capture_rate"]])
        for row in data["top_reasons"]:
            yield _line(["reason", row["reason"], labels.intent(row["reason"]), row["calls"], "", ""])
        yield from _text_lines(data.get("texts"))
    yield from _trailer(f"{report} report", f, data["formulas"])


def _text_lines(texts: dict[str, Any] | None) -> Iterator[str]:
    """The IVR report's texts (callcenter/reports/text_metrics.py): totals, then per message and language."""
    for key, value in (texts or {}).get("total", {}).items():
        yield _line(["text_total", key, words(key), _figure(key, value), "", ""])
    for row in (texts or {}).get("rows", []):
        name = f"{row['message']}:{row['language']}"
        yield _line(["text_delivered", name, words(row["message"]), row["delivered"], row["sent"],
                     row["delivery_rate"]])
        yield _line(["text_failed", name, words(row["message"]), row["failed"], row["sent"], ""])


def _local(value: datetime | None, f: Filters) -> str | None:
    # isoformat is several times faster than strftime, which counts over a million rows.
    return value.astimezone(f.tz).isoformat(" ", "seconds")[:19] if value else None


def _called_back(column: Any) -> Any:
    """What the adviser wrote when wrapping up the call's callback (its latest)."""
    return (select(column).where(Callback.call_id == Call.id, Callback.wrapped_at.is_not(None))
            .order_by(Callback.id.desc()).limit(1).scalar_subquery())


def call_rows(f: Filters, *, notes: bool = False) -> Any:
    """The detail-record query: one row per queue leg (one per call for calls never queued);
    the leg's notes only when asked for. A leg the caller left for a callback (or a call that
    asked for one in the menus) carries the callback's wrap-up: the conversation happened there."""
    q = QueueEntry
    callback_row = or_(q.outcome == LegOutcome.CALLBACK, q.id.is_(None))

    def wrap_up(column: Any, of_callback: Any) -> Any:
        return case((callback_row, func.coalesce(column, _called_back(of_callback))), else_=column)

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
                   wrap_up(q.disposition, Callback.disposition).label("disposition"), q.transferred_from_id,
                   *([wrap_up(q.notes, Callback.notes).label("notes")] if notes else []))
            .select_from(Call).outerjoin(Caller, Caller.id == Call.caller_id)
            .outerjoin(q, q.call_id == Call.id).outerjoin(User, User.id == q.agent_id)
            .where(calls_in_period(f)).order_by(Call.started_at, Call.id, q.id))
    if f.queue:
        stmt = stmt.where(q.queue == f.queue)
    if f.agent_id is not None:
        stmt = stmt.where(q.agent_id == f.agent_id)
    return stmt


def calls_csv(f: Filters, flow: Flow, *, full_numbers: bool, notes: bool) -> Response:
    """The call detail records of the period, with the advisers' notes when `notes`. The query is
    tried once with LIMIT 0 before the response starts, so a filter the database refuses is an
    error page rather than a download cut short; the rows then stream from a server-side cursor,
    opened inside the stream (a cursor opened here would not outlive the request's own commits on
    PostgreSQL)."""
    db.current().execute(call_rows(f, notes=notes).limit(0)).all()
    return _download("calls", f, _call_lines(f, full_numbers, flow, notes=notes))


def _call_lines(f: Filters, full_numbers: bool, flow: Flow | None = None, *,
                notes: bool = False) -> Iterator[str]:
    labels = Labels(flow or load_flow(settings.IVR_FILE))
    yield _line(c for c in CALL_COLUMNS if notes or c != "notes")
    phone = (lambda p: p or "") if full_numbers else mask_phone
    ident = (lambda v: v or "") if full_numbers else mask_id
    result = db.current().execute(call_rows(f, notes=notes).execution_options(yield_per=CHUNK))
    for rows in result.partitions():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for r in rows:
            row = [r.sid, _local(r.started_at, f), _local(r.ended_at, f) or "", hms(r.duration_s),
                   _cell(r.language or ""), _cell(labels.language(r.language)), r.outcome or "in progress",
                   _cell(r.node or ""), _cell(r.reason or ""), _cell(labels.intent(r.reason)),
                   _cell(phone(r.phone)), _cell(ident(r.id_number)), _cell(r.queue or ""),
                   _cell(labels.queue(r.queue)), r.leg_outcome or "", _local(r.enqueued_at, f) or "",
                   hms(r.wait), hms(r.talk), hms(r.acw), _cell(r.adviser or ""),
                   _cell(labels.disposition(r.disposition))]
            if notes:
                row.append(_cell(r.notes or ""))
            row.append(r.transferred_from_id or "")
            writer.writerow(row)
        yield out.getvalue()
    note = "phone and ID numbers in full" if full_numbers else "phone and ID numbers masked (admins see them)"
    yield from _trailer("call detail records", f, {
        "wait_s": "answered_at (or left_at) − enqueued_at of the leg", "talk_s": "ended_at − answered_at",
        "acw_s": "wrapped_at − ended_at (after-call work)",
        "duration_s": "Twilio's CallDuration, else first webhook to end", "numbers": note})
