"""What every desk API view needs from the request and for its answer: the flow file, who is
signed in, the JSON body (checked to be an object), and JSON answers no cache keeps.

Used by callcenter/desk/api.py, conversation_api.py and media.py alike.
"""

from __future__ import annotations

import gzip
from typing import Any

from flask import Response, abort, current_app, jsonify, request
from flask_login import current_user

from config.flow import Flow
from db import session as db
from db.models import User

GZIP_OVER = 2048  # bytes; below this, compressing costs more than it saves


def app_flow() -> Flow:
    """The flow file (queues, dispositions, languages) the app was built with."""
    return current_app.extensions["jobline.flow"]


def signed_in_user() -> User:
    """The signed-in user's row, in this request's database session."""
    return db.current().get(User, current_user.id)


def json_body() -> dict[str, Any]:
    """The request's JSON object ({} without a body); 400 for invalid JSON or a non-object."""
    data = request.get_json(silent=True)
    if data is None and request.get_data():
        abort(400, "The body is not valid JSON; send a JSON object with Content-Type: application/json.")
    if data is not None and not isinstance(data, dict):
        abort(400, "Send a JSON object (in curly braces), not a list or a value.")
    return data or {}


def no_store_json(payload: Any, status: int = 200) -> Response:
    """A JSON answer with Cache-Control: no-store, gzipped when large and the client accepts it."""
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    # The desk polls every 1.5 s; a long waiting list is repetitive JSON that gzips ~20:1.
    if len(response.get_data()) > GZIP_OVER and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(response.get_data(), compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    return response
