"""What every report shares: the filters, the period rule, SQL that runs on SQLite and PostgreSQL.

METRICS.md: a call belongs to the period (PES time zone) in which it *started*. Queue legs,
captures and recordings carry their own timestamps, and joining every one of them to `calls`
to read `started_at` costs a lookup per row. Those timestamps all fall inside the call, and no
call lasts longer than MAX_CALL (Twilio's hard limit on a call is 24 h), so a row stamped at
least MAX_CALL after the period start and before its end certainly belongs to it; only rows
near the edges are checked against their call. A 30-day report then reads one index range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, String, and_, exists, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from callcenter.params import BadParameter, query_row_id, report_day
from db.models import Call, UTCDateTime

MAX_CALL = timedelta(hours=24)
MAX_PERIOD_DAYS = 400  # the longest report; its SQL stays a bounded index range
DASH = "—"  # a rate whose denominator is zero: shown, never divided


class BadFilter(ValueError):
    """A filter value that cannot be used; the message says which and why, `field` names the
    filter (from, to, queue, ...) and `fix` tells a person at the report form what to change."""

    def __init__(self, message: str, field: str = "", fix: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.fix = fix or f"{message[:1].upper()}{message[1:]}. Correct the filter and try again."


@dataclass(frozen=True)
class Filters:
    first_day: date  # local dates, inclusive, in the PES time zone
    last_day: date
    tz: ZoneInfo
    queue: str | None = None
    language: str | None = None
    agent_id: int | None = None
    intent: str | None = None
    # A slice of the period (whole UTC hours): reports read part from rollups, part from raw rows.
    since: datetime | None = None
    until: datetime | None = None

    @property
    def start(self) -> datetime:
        if self.since is not None:
            return self.since
        return datetime.combine(self.first_day, time(), self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        if self.until is not None:
            return self.until
        return datetime.combine(self.last_day + timedelta(days=1), time(), self.tz).astimezone(UTC)

    def as_query(self) -> dict[str, str]:
        out = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        for key in ("queue", "language", "agent_id", "intent"):
            if getattr(self, key) is not None:
                out[key] = str(getattr(self, key))
        return out


MAX_NAME = 64  # queue, language and intent names in the flow file are short words


def _name(args: Mapping[str, str], key: str) -> str | None:
    value = args.get(key) or None
    if value is not None and (len(value) > MAX_NAME or not value.isprintable()):
        raise BadFilter(f"{key} must be a {key} name from the flow file", key)
    return value


def parse_filters(args: Mapping[str, str], tz_name: str, today: date) -> Filters:
    """Filters from query arguments (from/to as YYYY-MM-DD local dates; default today).
    Raises BadFilter saying which value is wrong (callcenter/params.py holds the rules)."""
    try:
        first = report_day(args.get("from") or today.isoformat(), "from")
        last = report_day(args.get("to") or first.isoformat(), "to")
        agent = args.get("agent") or args.get("agent_id")
        agent_id = query_row_id(agent, "agent", "an adviser") if agent else None
    except BadParameter as e:
        message = str(e).rstrip(".")
        raise BadFilter(message, message.split(" ")[0]) from None
    if last < first:
        raise BadFilter("'to' is before 'from'", "to",
                        f"The period ends ({last}) before it starts ({first}): choose a 'To' day on "
                        "or after the 'From' day, or one of the periods above.")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise BadFilter(f"a report covers at most {MAX_PERIOD_DAYS} days", "to",
                        f"That period is {(last - first).days + 1} days long; a report covers at most "
                        f"{MAX_PERIOD_DAYS} days: bring 'From' and 'To' closer together.")
    return Filters(first, last, ZoneInfo(tz_name), queue=_name(args, "queue"),
                   language=_name(args, "language"), agent_id=agent_id,
                   intent=_name(args, "intent"))


def local_today(tz_name: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz_name)).date()


# -- SQL that compiles on both databases -----------------------------------------------------

class seconds_between(FunctionElement):  # noqa: N801 - reads like the SQL function it is
    """Seconds from `b` to `a` (a - b)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"((julianday({compiler.process(a, **kw)}) - julianday({compiler.process(b, **kw)})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(a, **kw)} - {compiler.process(b, **kw)}))"


class utc_hour(FunctionElement):  # noqa: N801
    """'YYYY-MM-DD HH' of a timestamp in UTC: the bucket charts group by.

    Buckets are UTC hours, turned into local hours in Python (720 rows for 30 days), because
    SQLite has no time zones. Right for zones whose offset is whole hours, as the PES's is.
    """

    type = String()
    inherit_cache = True
    name = "utc_hour"


@compiles(utc_hour, "sqlite")
def _hour_sqlite(element: utc_hour, compiler: Any, **kw: Any) -> str:
    (col,) = list(element.clauses)
    return f"substr({compiler.process(col, **kw)}, 1, 13)"


@compiles(utc_hour, "postgresql")
def _hour_pg(element: utc_hour, compiler: Any, **kw: Any) -> str:
    (col,) = list(element.clauses)
    return f"to_char({compiler.process(col, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"


class hour_start(FunctionElement):  # noqa: N801
    """The UTC hour a timestamp falls in, as a timestamp of the column's type (rollup keys)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "hour_start"


@compiles(hour_start, "sqlite")
def _hour_start_sqlite(element: hour_start, compiler: Any, **kw: Any) -> str:
    (col,) = list(element.clauses)  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff', UTC
    return f"(substr({compiler.process(col, **kw)}, 1, 13) || ':00:00.000000')"


@compiles(hour_start, "postgresql")
def _hour_start_pg(element: hour_start, compiler: Any, **kw: Any) -> str:
    (col,) = list(element.clauses)
    return f"date_trunc('hour', {compiler.process(col, **kw)}, 'UTC')"


def bucket_key(hour: datetime) -> str:
    """The utc_hour() bucket of a rollup hour."""
    return f"{hour.astimezone(UTC):%Y-%m-%d %H}"


def bucket_time(key: str) -> datetime:
    """The UTC hour a utc_hour() bucket names ('2026-11-23 09'); sliced, as strptime is slow."""
    return datetime(int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]), tzinfo=UTC)


def in_period(stamp: Any, call_id: Any, f: Filters) -> ColumnElement[bool]:
    """Rows (stamped during their call) whose call started inside the period; see the module doc."""
    start, end = f.start, f.end
    call_in = exists().where(Call.id == call_id, Call.started_at >= start, Call.started_at < end)
    return and_(stamp >= start, stamp < end + MAX_CALL,
                or_(and_(stamp >= start + MAX_CALL, stamp < end), call_in))


def calls_in_period(f: Filters) -> ColumnElement[bool]:
    clauses = [Call.started_at >= f.start, Call.started_at < f.end]
    if f.language:
        clauses.append(Call.language == f.language)
    if f.intent:
        clauses.append(Call.reason == f.intent)
    return and_(*clauses)


# -- turning sums into figures ----------------------------------------------------------------

def rate(part: float | None, whole: float | None) -> float | None:
    """part ÷ whole × 100, rounded to 0.1; None (shown as —) when the denominator is zero."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


def mean(total: float | None, count: float | None) -> float | None:
    if not count:
        return None
    return round((total or 0) / count, 1)


def hms(seconds: float | None) -> str | None:
    """Seconds as h:mm:ss (hours past 24 keep counting: 25:00:00), rounded to the second."""
    if seconds is None:
        return None
    total = round(seconds)
    h, rest = divmod(abs(total), 3600)
    return f"{'-' if total < 0 else ''}{h}:{rest // 60:02}:{rest % 60:02}"


DURATION_UNITS = ("s", "h")  # figures kept in seconds (the API's numbers), read as h:mm:ss


def shown(value: float | int | None, unit: str = "") -> str:
    """How a figure reads on the report pages: '—' for no denominator, durations as h:mm:ss."""
    if value is None:
        return DASH
    if unit == "%":
        return f"{value:.1f}%"
    if unit in DURATION_UNITS:
        return hms(value) or DASH
    return f"{value:,}" if isinstance(value, int) else f"{value}"


# -- periods a supervisor asks for most -------------------------------------------------------

def presets(today: date) -> list[tuple[str, date, date]]:
    """(name, first day, last day) of the usual periods, ending today (local days)."""
    return [("Today", today, today),
            ("Yesterday", today - timedelta(days=1), today - timedelta(days=1)),
            ("Last 7 days", today - timedelta(days=6), today),
            ("Last 30 days", today - timedelta(days=29), today),
            ("This month", today.replace(day=1), today)]

