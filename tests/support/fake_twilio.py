"""Twilio's REST side for desk tests that need no Prism: answers like Twilio does and records
what was asked."""

from __future__ import annotations

import json

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response


class FakeTwilio(TwilioHttpClient):
    """Answers Twilio REST calls like Twilio does (a call resource), and records them."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []
        self.fail = fail
        self.call_ended = False

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):  # noqa: ANN001
        self.requests.append((method, url))
        if self.fail:
            return Response(500, json.dumps({"code": 20500, "message": "down", "status": 500}))
        if self.call_ended:  # what Twilio answers to a redirect of a call that is over
            return Response(400, json.dumps({"code": 21220, "status": 400,
                                             "message": "Call is not in-progress. Cannot redirect.",
                                             "more_info": "https://www.twilio.com/docs/errors/21220"}))
        sid = url.rsplit("/", 1)[-1].removesuffix(".json")
        return Response(200, json.dumps({"sid": sid, "status": "in-progress"}))
