"""The Redis connection of this process (job queues, rate limits, caches): one client per URL.

Short timeouts: a webhook that enqueues work must still answer the caller when Redis is slow or
down (the work is kept as 'pending' in the database and swept up later).
"""

from __future__ import annotations

from functools import lru_cache

from redis import Redis


@lru_cache(maxsize=8)
def redis_for(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
