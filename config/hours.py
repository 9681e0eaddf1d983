"""Business hours, public holidays and the PES time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.settings import ConfigError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass(frozen=True)
class Hours:
    timezone: str
    weekly: dict[int, list[tuple[time, time]]]  # weekday (Mon=0) -> open ranges
    holidays: dict[date, str]


def parse_hours(raw: dict[str, Any]) -> Hours:
    try:
        ZoneInfo(raw["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"hours.timezone: {raw['timezone']!r} is not a known time zone (e.g. Europe/London)"
        ) from None
    weekly: dict[int, list[tuple[time, time]]] = {}
    for i, day in enumerate(DAYS):
        spec = raw["weekly"][day].strip()
        ranges = []
        if spec != "closed":
            for part in spec.split(","):
                start_s, end_s = part.strip().split("-")
                try:
                    start, end = time.fromisoformat(start_s), time.fromisoformat(end_s)
                except ValueError:
                    raise ConfigError(f"hours.weekly.{day}: {part.strip()!r} is not HH:MM-HH:MM") from None
                if end <= start:
                    raise ConfigError(f"hours.weekly.{day}: {part.strip()!r} ends before it starts")
                ranges.append((start, end))
        weekly[i] = ranges
    holidays = {date.fromisoformat(h["date"]): h["name"] for h in raw.get("holidays", [])}
    return Hours(timezone=raw["timezone"], weekly=weekly, holidays=holidays)


def local_now(hours: Hours, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(hours.timezone))


def holiday_on(hours: Hours, now: datetime | None = None) -> str | None:
    """The name of today's public holiday in the PES time zone, if any."""
    return hours.holidays.get(local_now(hours, now).date())


def is_open(hours: Hours, now: datetime | None = None) -> bool:
    """Whether advisers are on duty at `now` (UTC by default) in the PES time zone."""
    local = local_now(hours, now)
    if local.date() in hours.holidays:
        return False
    t = local.time()
    return any(start <= t < end for start, end in hours.weekly[local.weekday()])
