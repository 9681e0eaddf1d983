"""A small asyncio HTTP/1.1 load generator for loopback benchmarks (bounded, stops by itself).

Each virtual caller runs whole calls: a fixed list of signed POSTs, in order, one connection
per request (gunicorn's sync workers close after each response, as they do for Twilio).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator


@dataclass
class Result:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]


def signed_request(host: str, port: int, path: str, form: dict[str, str], token: str) -> bytes:
    body = urlencode(form).encode()
    signature = RequestValidator(token).compute_signature(f"http://{host}:{port}{path}", form)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-Twilio-Signature: {signature}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


async def _one(host: str, port: int, raw: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(raw)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data[9:12]) if data.startswith(b"HTTP/") else 0
    return status


async def _caller(host: str, port: int, calls: list[list[bytes]], result: Result) -> None:
    for call in calls:
        for raw in call:
            t0 = time.perf_counter()
            try:
                status = await _one(host, port, raw)
            except OSError:
                status = 0
            result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            result.requests += 1
            if not 200 <= status < 300:
                result.errors += 1


def run(host: str, port: int, calls: list[list[bytes]], concurrency: int) -> Result:
    """Play the calls with `concurrency` callers at once; returns counts and latencies."""
    result = Result()
    shares = [calls[i::concurrency] for i in range(concurrency)]

    async def main() -> None:
        await asyncio.gather(*(_caller(host, port, share, result) for share in shares))

    t0 = time.perf_counter()
    asyncio.run(main())
    result.seconds = time.perf_counter() - t0
    return result
