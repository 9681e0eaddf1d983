"""The ceiling for bench_webhooks: the least a Flask webhook can do and still meet issue 2's
contract (a signed request, checked with the twilio library, whose step is persisted).

Each POST reads the form, checks X-Twilio-Signature, inserts one row and commits it (SQLite in
WAL mode, or PostgreSQL without waiting for the disk flush, as Jobline's menu steps do), and
returns a constant menu written as a string. No extensions, no engine, no reads. No IVR can
serve more requests a second than this on the same server; bench_webhooks reports it beside
the baseline so the issue's 1.0x can be read against what is possible.

    DATABASE_URL=... TWILIO_AUTH_TOKEN=... PUBLIC_BASE_URL=... gunicorn bench.ceiling_app:app
"""

from __future__ import annotations

import hmac
import os
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

MENU = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/ivr/menu" method="POST" '
        'numDigits="1"><Say language="en-US" voice="Polly.Joanna-Neural">For registration, press 1. '
        'For benefits, press 2. To speak to an adviser, press 0.</Say></Gather>'
        '<Redirect method="POST">/ivr/menu</Redirect></Response>')
MENU_BYTES = MENU.encode()
CREATE = ("CREATE TABLE IF NOT EXISTS ceiling_steps "
          "(sid VARCHAR(40), at VARCHAR(32), path VARCHAR(200), digits VARCHAR(32))")

INSERT = {True: "INSERT INTO ceiling_steps VALUES (?, ?, ?, ?)",
          False: "INSERT INTO ceiling_steps VALUES (%s, %s, %s, %s)"}

app = Flask(__name__)
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
base_url = os.environ["PUBLIC_BASE_URL"]
database = os.environ["DATABASE_URL"]
_conn = None


def connection():  # opened in the worker, after gunicorn forks
    global _conn
    if _conn is None:
        if database.startswith("sqlite"):
            _conn = sqlite3.connect(database.split("///", 1)[1], isolation_level=None, timeout=5)
            _conn.execute("PRAGMA journal_mode=WAL")
            _conn.execute("PRAGMA synchronous=NORMAL")
        else:
            import psycopg

            _conn = psycopg.connect(database.replace("+psycopg", ""), autocommit=True)
            _conn.execute("SET synchronous_commit = off")
        _conn.execute(CREATE)
    return _conn


def persisted(raw_uri: str, form: Mapping[str, str], signature: str) -> bool:
    """Check the signature and, if it holds, commit the step's row."""
    if not hmac.compare_digest(validator.compute_signature(base_url + raw_uri, form), signature):
        return False
    conn = connection()
    values = (form.get("CallSid"), datetime.now(UTC).isoformat(), raw_uri, form.get("Digits"))
    # Both connections commit each statement on its own (autocommit).
    conn.execute(INSERT[isinstance(conn, sqlite3.Connection)], values)
    return True


@app.post("/<path:path>")
def step(path: str) -> Response:
    form = dict(parse_qsl(request.get_data(as_text=True)))  # a third of the cost of request.form
    if not persisted(request.environ["RAW_URI"], form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    return Response(MENU, mimetype="text/xml")


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The same without Flask: a bare WSGI callable (`gunicorn bench.ceiling_app:wsgi`), to show
    what leaving Flask for the webhooks could gain at most."""
    form = dict(parse_qsl(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()))
    if not persisted(environ["RAW_URI"], form, environ.get("HTTP_X_TWILIO_SIGNATURE", "")):
        start_response("403 FORBIDDEN", [("Content-Length", "0")])
        return [b""]
    start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                              ("Content-Length", str(len(MENU_BYTES)))])
    return [MENU_BYTES]
