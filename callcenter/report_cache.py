"""Day by day, remembered: what makes a 30-day report over a million calls answer in milliseconds.

Each report is computed as one part per local day (a GROUP BY over that day's calls) and the
parts are added up. A day whose calls can no longer change is *settled*: its part is kept in
Redis for SETTLED_TTL and never recomputed. Parts of recent days are kept for RECENT_TTL only,
so historical reports are at most that far behind the database (the wallboard, which reads the
database directly, is the live view). Without Redis everything is computed every time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from redis import Redis

from callcenter.metrics import Filters

log = logging.getLogger(__name__)
VERSION = 1  # bump when a part's shape or a formula changes: old parts are then ignored
SETTLED_TTL = int(timedelta(days=45).total_seconds())
RECENT_TTL = 60
# How long after a day ends its figures may still change: calls run on (queue legs end, wrap-up
# is written) for at most a few hours; true containment looks 24 h past each call.
SETTLE = {"queue": timedelta(hours=6), "advisers": timedelta(hours=6), "ivr": timedelta(hours=30)}
Part = dict[str, Any]


class DayCache:
    """Parts of reports per (report, local day, filters) in Redis; `redis=None` disables it."""

    def __init__(self, redis: Redis | None, now: datetime) -> None:
        self.redis, self.now = redis, now

    def _key(self, kind: str, day_filters: Filters) -> str:
        query = day_filters.as_query()
        extra = ",".join(f"{k}={v}" for k, v in sorted(query.items()) if k not in ("from", "to"))
        return f"jobline:report:v{VERSION}:{kind}:{day_filters.tz.key}:{query['from']}:{extra}"

    def parts(self, kind: str, f: Filters, compute: Callable[[Filters], Part]) -> list[Part]:
        days = [replace(f, first_day=f.first_day.fromordinal(n), last_day=f.first_day.fromordinal(n))
                for n in range(f.first_day.toordinal(), f.last_day.toordinal() + 1)]
        keys = [self._key(kind, one) for one in days]
        cached = self._get(keys)
        out = []
        for one, key, hit in zip(days, keys, cached, strict=True):
            if hit is not None:
                out.append(json.loads(hit))
                continue
            part = compute(one)
            if one.start < self.now:  # days still to come have nothing to keep
                settled = self.now >= one.end + SETTLE[kind]
                self._set(key, part, SETTLED_TTL if settled else RECENT_TTL)
            out.append(part)
        return out

    def _get(self, keys: list[str]) -> list[bytes | None]:
        if self.redis is not None and keys:
            try:
                return list(self.redis.mget(keys))  # one round trip for the whole period
            except Exception as e:  # Redis down: compute, the report still answers
                log.warning("report cache unavailable (%s); computing", type(e).__name__)
                self.redis = None
        return [None] * len(keys)

    def _set(self, key: str, part: Part, ttl: int) -> None:
        if self.redis is not None:
            try:
                self.redis.set(key, json.dumps(part), ex=ttl)
            except Exception:
                self.redis = None


def cache_for(app_config: dict[str, Any], extensions: dict[str, Any], now: datetime) -> DayCache:
    """The app's cache (one Redis client per process), or a disabled one when REDIS_URL is unset."""
    if "jobline.report_redis" not in extensions:
        url = app_config.get("REDIS_URL")
        extensions["jobline.report_redis"] = (Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
                                              if url and not app_config.get("REPORT_CACHE_OFF") else None)
    return DayCache(extensions["jobline.report_redis"], now)
