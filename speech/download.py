"""Fetching recordings from Twilio (and deleting them there), with HTTP basic auth.

Twilio answers a recording URL with a redirect to its media storage. The credentials are sent
with `add_unredirected_header` so they go to Twilio only and never follow the redirect to
another host (storage rejects a second authentication scheme, and it must not see our token).
"""

from __future__ import annotations

import base64
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

log = logging.getLogger(__name__)

# 600 s of 16 kHz 16-bit stereo is 38 MB; anything bigger is not a call recording.
MAX_BYTES = 40 * 1024 * 1024
TIMEOUT_S = 15.0
BACKOFF_S: tuple[float, ...] = (1.0, 3.0, 9.0)  # waits between attempts on 5xx or no connection
_RETRYABLE_HTTP = {408, 425, 429, 500, 502, 503, 504}


class DownloadFailed(Exception):
    """The recording could not be fetched; `reason` says why without the URL (it names the
    account and recording)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(DownloadFailed):
    """The server offered more than `max_bytes`."""


def _request(url: str, auth: tuple[str, str] | None, method: str = "GET") -> urllib.request.Request:
    req = urllib.request.Request(url, method=method, headers={"User-Agent": "jobline-speech"})
    if auth and auth[0]:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_unredirected_header("Authorization", f"Basic {token}")
    return req


def _read_bounded(resp: object, max_bytes: int) -> bytes:
    length = resp.headers.get("Content-Length")  # type: ignore[attr-defined]
    if length and length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"The recording is {int(length)} bytes; the limit is {max_bytes}.")
    chunks: list[bytes] = []
    total = 0
    while chunk := resp.read(64 * 1024):  # type: ignore[attr-defined]
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(f"The recording is larger than the limit of {max_bytes} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(
    url: str,
    auth: tuple[str, str] | None,
    *,
    max_bytes: int | None = None,
    timeout: float | None = None,
    backoff: Sequence[float] | None = None,
) -> bytes:
    """GET `url`, retrying server errors and connection failures after each `backoff` wait.

    Limits default to the module's MAX_BYTES, TIMEOUT_S and BACKOFF_S, read at call time.
    Raises `TooLarge` past `max_bytes`, and `DownloadFailed` for a client error (401, 404) at
    once or for server/connection errors once the retries are spent.
    """
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    timeout = TIMEOUT_S if timeout is None else timeout
    backoff = BACKOFF_S if backoff is None else backoff
    waits = list(backoff)
    while True:
        try:
            with urllib.request.urlopen(_request(url, auth), timeout=timeout) as resp:
                return _read_bounded(resp, max_bytes)
        except urllib.error.HTTPError as exc:
            reason = f"The server answered HTTP {exc.code}."
            if exc.code not in _RETRYABLE_HTTP:
                raise DownloadFailed(reason) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            cause = getattr(exc, "reason", exc)
            reason = f"No answer from the server ({type(cause).__name__})."
        if not waits:
            raise DownloadFailed(f"{reason} Gave up after {len(backoff) + 1} attempts.")
        wait = waits.pop(0)
        log.info("recording download failed (%s); retrying in %.1f s", reason, wait)
        time.sleep(wait)


def delete_remote(url: str, auth: tuple[str, str] | None, timeout: float = TIMEOUT_S) -> bool:
    """DELETE a recording at Twilio; True when it is gone (deleted now or already absent)."""
    try:
        with urllib.request.urlopen(_request(url, auth, "DELETE"), timeout=timeout):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code == 404
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return False
