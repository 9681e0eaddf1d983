"""What operators see of Twilio's webhooks: how long each took (a histogram by URL rule, served
at /metrics) and which call a log line is about (the call's reference, db/logs.py).

Twilio waits 15 s for a webhook in all before it tries the fallback URL
(https://twilio.com/docs/errors/11205), hence the last buckets.

With several gunicorn processes each holds its own counts; `run.py serve` sets
PROMETHEUS_MULTIPROC_DIR for its web processes so /metrics adds them all up (prometheus_client's
multiprocess mode, which must be chosen before this module is imported).
"""

from __future__ import annotations

import time

from flask import Flask, g, request
from prometheus_client import Histogram

from db.logs import bind_call, unbind_call
from ivr.calls import clean_sid

WEBHOOK_SECONDS = Histogram(
    "jobline_webhook_duration_seconds", "Time to answer a Twilio webhook, by URL rule.", ["route"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15))


def _started() -> None:
    g.jobline_webhook = (time.perf_counter(), bind_call(clean_sid(request.form.get("CallSid"))))


def _finished(error: BaseException | None) -> None:
    started = g.pop("jobline_webhook", None)
    if started is None:
        return
    t0, token = started
    unbind_call(token)
    if request.url_rule is not None:  # its rule ("/ivr/node/<node>/input"), never the path
        WEBHOOK_SECONDS.labels(route=request.url_rule.rule).observe(time.perf_counter() - t0)


def init_app(app: Flask, blueprints: list[str]) -> None:
    """Time the webhooks of these blueprints and bind their call to log records. Added to the app's
    per-blueprint hooks (not the module-level blueprints, which every app of a test run shares)."""
    for name in blueprints:
        app.before_request_funcs.setdefault(name, []).insert(0, _started)
        app.teardown_request_funcs.setdefault(name, []).append(_finished)
