"""Fetching recordings from Twilio (and deleting them there), with HTTP basic auth.

The credentials go to Twilio's API host only. The URL is never taken from a callback's
`RecordingUrl` (anyone can post one): it is built from the recording's SID and our account SID
on the configured API host (`media_url`), the documented address of a recording's media,
/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}(.wav|.json)
(https://www.twilio.com/docs/voice/api/recording). `on_api_host` tells whether a callback's
RecordingUrl is Twilio's at all.

Twilio answers a recording URL with a redirect to its media storage. The credentials are sent
with `add_unredirected_header` so they never follow the redirect to another host (storage
rejects a second authentication scheme, and it must not see our token), and the redirect is
followed only to a public address: never loopback, private, link-local or reserved ones (our
database, Redis, a cloud metadata service). The API host itself is configuration, not request
data, so it may be local (the tests' mock). Hand-written with the standard library's
`ipaddress`: the one Python SSRF guard packaged (advocate) wraps requests and is unmaintained
since 2020.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from email.message import Message
from typing import IO
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# 600 s of 16 kHz 16-bit stereo is 38 MB; anything bigger is not a call recording.
MAX_BYTES = 40 * 1024 * 1024
TIMEOUT_S = 15.0
BACKOFF_S: tuple[float, ...] = (1.0, 3.0, 9.0)  # waits between attempts on 5xx or no connection
_RETRYABLE_HTTP = {408, 425, 429, 500, 502, 503, 504}
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")


class DownloadFailed(Exception):
    """The recording could not be fetched; `reason` says why without the URL (it names the
    account and recording)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(DownloadFailed):
    """The server offered more than `max_bytes`."""


class Refused(DownloadFailed):
    """The request was not sent (or not followed), for where it would have gone."""


def media_url(api_base: str, account_sid: str, recording_sid: str, ext: str = ".wav") -> str:
    """Twilio's URL of a recording's media (`.wav`) or resource (`.json`) on `api_base`.

    Raises Refused when a SID is not shaped as Twilio's (it would otherwise steer the path).
    """
    if not ACCOUNT_SID.match(account_sid or ""):
        raise Refused("TWILIO_ACCOUNT_SID is not an account SID (AC and 32 hex digits).")
    if not _RECORDING_SID.match(recording_sid or ""):
        raise Refused("The recording SID is not a Twilio recording SID (RE and 32 hex digits).")
    return f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}{ext}"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def on_api_host(url: str, api_base: str) -> bool:
    """True when `url` has the scheme, host and port of `api_base` (Twilio's API host)."""
    return bool(urlsplit(url).hostname) and _origin(url) == _origin(api_base)


def is_public_host(host: str) -> bool:
    """True when every address `host` resolves to is a global (public) one."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return bool(addresses) and all(a.is_global and not a.is_multicast for a in addresses)


class _PublicRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an http(s) URL on a public address (raises Refused)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        scheme, host, _port = _origin(newurl)
        if scheme not in {"https", "http"} or not is_public_host(host):
            raise Refused("Twilio's answer redirected to a local or private address; "
                          "it was not followed.")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_PublicRedirectsOnly())


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
            with _opener.open(_request(url, auth), timeout=timeout) as resp:
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
        with _opener.open(_request(url, auth, "DELETE"), timeout=timeout):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code == 404
    except (urllib.error.URLError, TimeoutError, ConnectionError, Refused):
        return False
