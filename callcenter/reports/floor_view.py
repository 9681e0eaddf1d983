"""/floor, the supervisors' live floor, and /api/floor, the same as JSON.

The page is drawn on the server (it works without script), then floor.js keeps it current: it
listens to the whole floor's change events (/api/events?scope=wallboard, the supervisors' stream of
callcenter/desk/events.py) and fetches /api/floor with the page's own filters on each one, polling
when the stream is refused. The filters (a queue, a language) live in the address, so a
supervisor can bookmark "Benefits, Spanish"; they never carry personal data.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, render_template, request

from callcenter.access import error_json, nav, role_required
from callcenter.accounts.users import clock
from callcenter.reports.floor import STATE_LABELS, STATES, FloorFilter, floor_state
from config.flow import Flow
from db import session as db
from db.states import Role

bp = Blueprint("floor", __name__)
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
POLL_MS = 1500  # without the push, as the desk and the wallboard poll
PHASES = {"ringing": "Phone ringing", "talking": "Talking", "wrapping_up": "After-call work",
          "calling_back": "Calling back"}
WAITING_STATUS = {"waiting": "Waiting", "ringing_adviser": "Adviser's phone ringing",
                  "callback_pending": "Callback pending", "calling_back": "Being called back"}


class BadFloorFilter(ValueError):
    """A filter the floor cannot show; the message says what to choose instead."""


def _flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def _chosen(args: Any, flow: Flow) -> FloorFilter:
    """The filters of the address; empty means all (the page's form sends "All" as empty)."""
    queue, language = (args.get("queue") or None), (args.get("language") or None)
    if queue is not None and queue not in flow.queues:
        raise BadFloorFilter(f"There is no queue called {queue[:64]!r}: choose one of "
                             f"{', '.join(flow.queues)}, or all queues.")
    return FloorFilter(queue, language)


def _choices(flow: Flow) -> dict[str, Any]:
    return {"queues": [(name, q.label.get(flow.default_language, name)) for name, q in flow.queues.items()],
            "languages": [(lang.code, lang.name) for lang in flow.languages]}


@bp.get("/floor")
@nav("Floor", 25)
@role_required(*SUPERVISORS)
def floor_page() -> Any:
    flow = _flow()
    try:
        chosen, error = _chosen(request.args, flow), None
    except BadFloorFilter as e:
        chosen, error = FloorFilter(), str(e)
    state = floor_state(db.current(), flow, clock(current_app.config), chosen)
    choices = _choices(flow)
    page = render_template("floor.html", floor=state, choices=choices, error=error,
                           queue_labels=dict(choices["queues"]),
                           query=urlencode({k: v for k, v in state["filters"].items() if v}),
                           states=[(s.value, STATE_LABELS[s]) for s in STATES], phases=PHASES,
                           waiting_status=WAITING_STATUS,
                           poll_ms=current_app.config.get("LIVE_POLL_MS", POLL_MS))  # tests: push only
    return (page, 400) if error else page


@bp.get("/api/floor")
@role_required(*SUPERVISORS)
def floor_data() -> Any:
    flow = _flow()
    try:
        chosen = _chosen(request.args, flow)
    except BadFloorFilter as e:
        return error_json(400, str(e))
    return jsonify(floor_state(db.current(), flow, clock(current_app.config), chosen))


_str, _int = {"type": "string"}, {"type": "integer"}
_nullable_str = {"type": "string", "nullable": True}
_FILTER = {"in": "query", "required": False, "allowEmptyValue": True}
# Merged into the API spec by callcenter/desk/openapi.py (which names the error responses), with
# the flow's queues as the queue parameter's enum.
FLOOR_OPENAPI: dict[str, Any] = {"/api/floor": {"get": {
    "operationId": "floorState",
    "summary": "The live floor: every adviser and every waiting caller (what /floor shows)",
    "description": "For supervisors and admins. Refetch on each event of /api/events?scope=wallboard, "
                   "or poll. Phone numbers are masked. An empty filter is the same as none.",
    "parameters": [
        _FILTER | {"name": "queue", "schema": {"type": "string"},
                   "description": "one queue of the flow (enum): its advisers and callers; "
                                  "another name gets 400"},
        _FILTER | {"name": "language", "schema": {"type": "string"},
                   "description": "a language code: the advisers who speak it and the callers in it"},
    ],
    "responses": {
        "200": {"description": "The floor now.", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "server_time": {"type": "string", "format": "date-time"},
                "filters": {"type": "object", "properties": {
                    "queue": _nullable_str, "language": _nullable_str}},
                "counts": {"type": "object", "additionalProperties": _int,
                           "description": "advisers per status, callers waiting, callbacks in line"},
                "advisers": {"type": "array", "items": {"type": "object", "properties": {
                    "id": _int, "name": _str, "status": _str, "status_label": _str,
                    "status_since": {"type": "string", "format": "date-time"}, "in_state_s": _int,
                    "queues": {"type": "array", "items": _str}, "languages": {"type": "array", "items": _str},
                    "current": {"type": "object", "nullable": True, "properties": {
                        "queue": _str, "queue_label": _str,
                        "phase": {"type": "string", "enum": list(PHASES)},
                        "since": _nullable_str, "seconds": _int, "callback": {"type": "boolean"}}}}}},
                "waiting": {"type": "array", "items": {"type": "object", "properties": {
                    "kind": {"type": "string", "enum": ["call", "callback"]}, "id": _int,
                    "queue": _str, "queue_label": _str, "language": _nullable_str,
                    "language_name": _nullable_str,
                    "status": {"type": "string", "enum": list(WAITING_STATUS)},
                    "callback": {"type": "boolean"}, "enqueued_at": {"type": "string", "format": "date-time"},
                    "wait_s": _int, "priority": _int,
                    "position": {"type": "integer", "nullable": True,
                                 "description": "place in the queue's line; "
                                                "null once an adviser's phone rings"},
                    "caller": {"type": "string", "description": "Masked phone number."}}}},
            }}}}},
        **{str(c): {"$ref": f"#/components/responses/E{c}"} for c in (400, 401, 403)},
    },
}}}
