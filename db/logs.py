"""How Jobline logs: plain lines for a terminal, or JSON lines (LOG_FORMAT=json) for a log shipper.

Either way numbers are masked as every record is created (db/personal.py), so both formats
write the same masked message. A JSON line holds time, level, logger, message and, when known,
`call` (the call's reference: a hash of its CallSid, never the SID itself, so log lines of one
call can be found together and matched to a SID someone already holds) and `route` (the URL
rule of the request, "/ivr/node/<node>/input", never the path with its values).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import has_request_context, request
from gunicorn import glogging

from db.personal import install_log_masking

_call: contextvars.ContextVar[str | None] = contextvars.ContextVar("jobline_log_call", default=None)
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def call_ref(sid: str | None) -> str | None:
    """The call's reference in logs: the first 12 hex digits of SHA-256 of its CallSid."""
    return hashlib.sha256(sid.encode()).hexdigest()[:12] if sid else None


def bind_call(sid: str | None) -> contextvars.Token[str | None]:
    """Name the call the following log records concern (this thread or task); reset with the token."""
    return _call.set(call_ref(sid))


def unbind_call(token: contextvars.Token[str | None]) -> None:
    _call.reset(token)


@contextlib.contextmanager
def about_call(sid: str | None) -> Iterator[None]:
    """Log records inside the block carry the call's reference (for jobs working on one call)."""
    token = bind_call(sid)
    try:
        yield
    finally:
        unbind_call(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, call, route, error."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (call := _call.get()) is not None:
            line["call"] = call
        if has_request_context() and request.url_rule is not None:
            line["route"] = request.url_rule.rule
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN)


def configure_logging(log_format: str) -> None:
    """Mask numbers in every record and, unless the root logger has a handler already (a test's),
    write records at INFO and above to stderr in the chosen format."""
    install_log_masking()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(log_format))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)


class GunicornJsonLogger(glogging.Logger):
    """gunicorn's own lines (its error log and the access log) as JSON lines too:
    `--logger-class db.logs.GunicornJsonLogger`, which `run.py serve` passes when LOG_FORMAT=json."""

    def _set_handler(self, log, output, fmt, stream=None):  # type: ignore[no-untyped-def]
        super()._set_handler(log, output, JsonFormatter(), stream)
