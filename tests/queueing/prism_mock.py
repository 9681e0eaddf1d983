"""Test helpers for the queue suites: the recording Twilio HTTP client, a movable clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio.http.http_client import TwilioHttpClient

PROBLEM_STATUSES = {401, 404, 405, 422}


class PrismHttpClient(TwilioHttpClient):
    """Sends the twilio library's requests to Prism and records what Prism refused."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.base_url = base_url
        self.problems: list[str] = []
        self.sent: list[tuple[str, str, dict[str, list[str]]]] = []

    def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: float | None = None, allow_redirects: bool = False) -> Any:
        parts = urlsplit(url)
        if parts.hostname and (parts.hostname == "twilio.com" or parts.hostname.endswith(".twilio.com")):
            url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        response = super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=allow_redirects)
        form = {k: v if isinstance(v, list) else [str(v)] for k, v in (data or {}).items()}
        self.sent.append((method, urlsplit(url).path, form))
        if response.status_code in PROBLEM_STATUSES:
            self.problems.append(f"{method} {urlsplit(url).path} -> {response.status_code}: "
                                 f"{response.text[:500]}")
        return response

    def calls_updated(self) -> list[dict[str, list[str]]]:
        return [form for method, path, form in self.sent
                if method == "POST" and "/Calls/" in path and path.endswith(".json")]


class Clock:
    """The app's clock, moved by the test (never the machine's time)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def form_of(sent: dict[str, list[str]], name: str) -> str:
    return (sent.get(name) or [""])[0]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)
