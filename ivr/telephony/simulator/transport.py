"""How the simulator reaches Jobline: in-process through a Flask test client, or over HTTP."""

from __future__ import annotations

from typing import Protocol
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen


class Transport(Protocol):
    base_url: str

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]: ...


class FlaskTransport:
    """Posts through a Flask test client (in-process), as if the app were at `base_url`.

    Only the app's own URLs can be reached: anything else raises CallError.
    """

    def __init__(self, client: object, base_url: str = "http://localhost") -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        if not url.startswith(self.base_url + "/"):
            raise CallError(f"refusing to post to {url}: not one of this app's webhooks")
        path = url.removeprefix(self.base_url)
        resp = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature},
                                base_url=self.base_url)
        return resp.status_code, resp.get_data(as_text=True)

    def get(self, url: str) -> bytes:
        """Fetch a media file the app serves (a <Play> URL), as Twilio does."""
        if not url.startswith(self.base_url + "/"):
            raise CallError(f"refusing to fetch {url}: not one of this app's files")
        resp = self.client.get(url.removeprefix(self.base_url), base_url=self.base_url)
        return resp.get_data() if resp.status_code == 200 else b""


class HttpTransport:
    """Posts over HTTP to a running Jobline."""

    def __init__(self, base_url: str, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        req = Request(url, data=urlencode(params).encode(), method="POST",
                      headers={"X-Twilio-Signature": signature,
                               "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.read().decode()
        except HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def get(self, url: str) -> bytes:
        """Fetch a media file the app serves (a <Play> URL), as Twilio does."""
        with urlopen(url, timeout=self.timeout) as resp:
            return resp.read()


class CallError(AssertionError):
    """Jobline answered something Twilio could not follow (a non-2xx status, bad XML)."""
