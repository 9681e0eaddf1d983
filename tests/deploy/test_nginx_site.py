"""deploy/nginx/jobline.conf against the timings Jobline lives by: Twilio's 15 s for a webhook,
and the live stream's heartbeat (a stream nginx cuts between two heartbeats drops every desk and
wallboard back to polling)."""

from __future__ import annotations

import re

from callcenter.desk.events import HEARTBEAT_S
from tests.support.topology import DEPLOY

TWILIO_WEBHOOK_LIMIT_S = 15  # https://www.twilio.com/docs/api/errors/11205


def _seconds(block: str, directive: str) -> int:
    found = re.findall(rf"^\s*{directive}\s+(\d+)s;", block, re.MULTILINE)
    assert len(found) == 1, f"{directive} is set {len(found)} times here, expected once"
    return int(found[0])


def _location(site: str, match: str) -> str:
    found = re.search(rf"location {re.escape(match)} \{{(.*?)\n    \}}", site, re.DOTALL)
    assert found, f"deploy/nginx/jobline.conf has no `location {match}`"
    return found.group(1)


def test_a_webhook_gets_an_answer_or_the_next_node_well_inside_twilios_limit():
    site = (DEPLOY / "nginx" / "jobline.conf").read_text()
    server = site[site.index("listen 443"):]
    server = server[:server.index("location")]
    worst = _seconds(server, "proxy_connect_timeout") + _seconds(server, "proxy_read_timeout")
    assert worst < TWILIO_WEBHOOK_LIMIT_S


def test_the_live_stream_outlasts_the_quiet_between_two_heartbeats():
    site = (DEPLOY / "nginx" / "jobline.conf").read_text()
    stream = _location(site, "= /api/events")
    assert _seconds(stream, "proxy_read_timeout") > 2 * HEARTBEAT_S
    assert "proxy_pass http://jobline_web;" in stream
