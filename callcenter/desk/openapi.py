"""OpenAPI 3.0 description of the desk API (callcenter/desk/api.py), served at /api/openapi.json.

Written as data; tests/callcenter/desk/test_api_spec.py validates it and checks that every /api route is
described here and every path here is a route, and tests/callcenter/desk/test_api_contract.py runs
Schemathesis against the served document to check that the server answers as it says.
`spec_for(flow)` is what /api/openapi.json serves: SPEC with the deployment's queues and
dispositions as enums (what the server accepts).
"""

from __future__ import annotations

import copy
from functools import reduce
from typing import Any

from callcenter.desk.openapi_conference import add_conference
from callcenter.desk.openapi_links import DESK_STATE_LINKS
from callcenter.desk.openapi_offers import OFFER_STATE, offer_paths
from callcenter.desk.openapi_parts import errors, json_response, ref, request_body
from callcenter.desk.openapi_supervisor import supervisor_paths
from callcenter.desk.openapi_texts import TEXT_PATHS, text_enums
from callcenter.params import ID_SCHEMA
from config.flow import Flow
from db.states import ADVISER_SETTABLE

ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": ID_SCHEMA,
            "description": "The queue entry (one leg of a call in a queue)."}
DESK_OK = {"200": json_response(ref("DeskState"), "The desk after the change.") | {"links": DESK_STATE_LINKS}}
WRITE_ERRORS = (400, 401, 403, 404, 409)

CALLBACK_ID = {"name": "callback_id", "in": "path", "required": True, "schema": ID_SCHEMA}
_NOTES = request_body({"type": "object", "required": ["notes"], "properties": {
    "notes": {"type": "string", "maxLength": 4000}}})
_WRAP_UP = request_body({"type": "object", "required": ["disposition"], "properties": {
    "disposition": {"type": "string", "description": "A code from the flow's dispositions (enum)."},
    "notes": {"type": "string", "maxLength": 4000},
    "available": {"type": "boolean", "default": True,
                  "description": "for an adviser set offline meanwhile: available again after Done"}}})

_REVEALED = {"200": json_response({"type": "object", "properties": {
    "id_number": {"type": "string"}, "status": {"type": "string"}}}, "The ID number."),
    **errors(400, 401, 403, 404)}

_paths: dict[str, Any] = {
    "/api/desk": {"get": {
        "operationId": "deskState", "summary": "Everything the desk shows (on each event, or polled).",
        "responses": DESK_OK | errors(401, 403)}},
    "/api/events": {"get": {
        "operationId": "events", "summary": "Server-Sent Events: `data: changed` when what you see changed.",
        "description": "Refetch /api/desk (or, with scope=wallboard, /api/wallboard) on each event; "
                       "a comment line every 15 s; the stream ends after 5 minutes and EventSource "
                       "reconnects. 503 when live updates are unavailable: poll instead.",
        "parameters": [{"name": "scope", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["desk", "wallboard"]}}],
        "responses": {"200": {"description": "The event stream.",
                              "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                      **errors(400, 401, 403, 503)}}},
    "/api/me/status": {"put": {
        "operationId": "changeStatus", "summary": "Set your status.",
        "requestBody": request_body({"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "enum": [s.value for s in ADVISER_SETTABLE]}}}),
        "responses": {"200": json_response(ref("Me"), "Your account and status.")} | errors(*WRITE_ERRORS)}},
    "/api/entries/{entry_id}": {"get": {
        "operationId": "entrySummary", "summary": "The full caller summary of one call.",
        "parameters": [ENTRY_ID],
        "responses": {"200": json_response(ref("Summary"), "The summary.")} | errors(401, 403, 404)}},
    "/api/entries/{entry_id}/reveal-id": {"post": {
        "operationId": "revealId",
        "summary": "The caller's full ID number (your own connected call; supervisors any). Audited.",
        "parameters": [ENTRY_ID],
        "responses": _REVEALED}},
    "/api/answer": {"post": {
        "operationId": "answer",
        "summary": "Claim the best waiting call (or entry_id) atomically and put it through.",
        "requestBody": request_body({"type": "object", "properties": {
            "entry_id": ID_SCHEMA | {"description": "A specific waiting call; omit for the next."}}},
            required=False),
        "responses": DESK_OK | errors(400, 401, 403, 409, 502, 503)}},
    "/api/calls/{entry_id}/notes": {"put": {
        "operationId": "saveNotes", "summary": "Save the notes of your current call (autosave).",
        "parameters": [ENTRY_ID],
        "requestBody": _NOTES,
        "responses": {"200": json_response({"type": "object", "properties": {
            "id": {"type": "integer"}, "notes": {"type": "string"}}}, "Saved.")} | errors(*WRITE_ERRORS)}},
    "/api/calls/{entry_id}/end": {"post": {
        "operationId": "endCall", "summary": "The conversation is over; after-call work starts.",
        "parameters": [ENTRY_ID], "responses": DESK_OK | errors(*WRITE_ERRORS)}},
    "/api/calls/{entry_id}/transfer": {"post": {
        "operationId": "transfer",
        "summary": "Move the caller to another queue (409 for the queue they are in, or once they left), "
                   "with an optional note the next adviser reads in the caller's path.",
        "parameters": [ENTRY_ID],
        "requestBody": request_body({"type": "object", "required": ["queue"], "properties": {
            "queue": {"type": "string", "description": "A queue of the flow (enum), not the caller's."},
            "note": {"type": "string", "maxLength": 500,
                     "description": "For the next adviser, e.g. what the caller needs from them."}}}),
        "responses": DESK_OK | errors(*WRITE_ERRORS)}},
    "/api/calls/{entry_id}/wrap-up": {"post": {
        "operationId": "wrapUp", "summary": "Done: notes and disposition saved, back to available.",
        "parameters": [ENTRY_ID],
        "requestBody": _WRAP_UP,
        "responses": DESK_OK | errors(*WRITE_ERRORS)}},
    "/api/callbacks/{callback_id}/notes": {"put": {
        "operationId": "saveCallbackNotes", "summary": "Save the notes of your current callback (autosave).",
        "parameters": [CALLBACK_ID], "requestBody": _NOTES,
        "responses": {"200": json_response({"type": "object", "properties": {
            "id": {"type": "integer"}, "notes": {"type": "string"}}}, "Saved.")} | errors(*WRITE_ERRORS)}},
    "/api/callbacks/{callback_id}/wrap-up": {"post": {
        "operationId": "wrapUpCallback",
        "summary": "Done with a callback: notes and disposition saved, back to available. "
                   "409 while Jobline is still ringing the caller.",
        "parameters": [CALLBACK_ID], "requestBody": _WRAP_UP,
        "responses": DESK_OK | errors(*WRITE_ERRORS)}},
    "/api/callbacks/{callback_id}/reveal-id": {"post": {
        "operationId": "revealCallbackId",
        "summary": "The caller's full ID number, while you talk to them on a callback. Audited.",
        "parameters": [CALLBACK_ID],
        "responses": _REVEALED}},
    "/api/callbacks/{callback_id}/retry": {"post": {
        "operationId": "retryCallback",
        "summary": "Supervisors: put a failed callback back in line, its attempts counted afresh.",
        "parameters": [CALLBACK_ID], "responses": DESK_OK | errors(*WRITE_ERRORS)}},
    "/api/recordings/{recording_id}/audio": {"get": {
        "operationId": "recordingAudio", "summary": "The audio of a name or reason recording.",
        "parameters": [{"name": "recording_id", "in": "path", "required": True,
                        "schema": ID_SCHEMA}],
        "responses": {"200": {"description": "The audio.", "content": {
            "audio/wav": {"schema": {"type": "string", "format": "binary"}},
            "audio/mpeg": {"schema": {"type": "string", "format": "binary"}}}}}
        | errors(401, 403, 404)}},
    "/api/voice-token": {"get": {
        "operationId": "voiceToken",
        "summary": "A Twilio Voice SDK token for the browser phone (advisers without a phone number).",
        "responses": {"200": json_response({"type": "object", "properties": {
            "token": {"type": "string"}, "identity": {"type": "string"}}}, "The token.")}
        | errors(401, 403) | {"503": {"$ref": "#/components/responses/E503"}}}},
    "/api/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This description.",
        "responses": {"200": json_response({"type": "object"}, "OpenAPI 3 document.")} | errors(401, 403)}},
}

_nullable_str = {"type": "string", "nullable": True}
_recording = {"type": "object", "nullable": True, "properties": {
    "recording_id": {"type": "integer"}, "audio": {"type": "boolean"}, "text": _nullable_str,
    "status": {"type": "string"}, "intent": _nullable_str}}
_caller = {
    "call_id": {"type": "integer"}, "language": _nullable_str, "language_name": _nullable_str,
    "caller": {"type": "string", "description": "Masked phone number."},
    "name": _recording, "reason": _recording, "reason_code": _nullable_str,
    "id_number": {"type": "object", "nullable": True, "properties": {
        "masked": {"type": "string"}, "confirmed": {"type": "boolean"}}},
    "started_at": {"type": "string", "format": "date-time"}, "in_call_s": {"type": "integer"}}
_entry = {"type": "object", "properties": {
    "kind": {"type": "string", "enum": ["call", "callback"],
             "description": "call: a queue leg (/api/calls/{id}); callback: a callback Jobline places "
                            "(/api/callbacks/{id}), whose status is calling_back, connected or ended."},
    "id": {"type": "integer"}, "status": {"type": "string"}, "queue": {"type": "string"},
    "queue_label": {"type": "string"}, "service_level_s": {"type": "integer"},
    "priority": {"type": "integer"}, "intent": _nullable_str,
    "enqueued_at": {"type": "string", "format": "date-time"},
    "wait_s": {"type": "integer", "description": "Seconds waiting when the answer was made."},
    "answered_at": _nullable_str, "ended_at": _nullable_str, "transferred": {"type": "boolean"},
    "notes": _nullable_str, "disposition": _nullable_str, **_caller}}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Jobline desk API", "version": "1.0",
             "description": "The adviser desk of the Jobline helpdesk. Sign in through /login; "
                            "send the page's CSRF token in X-CSRFToken on every write. Errors are "
                            "JSON with a sentence saying what to fix."},
    "paths": _paths,
    "components": {
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        "responses": {f"E{code}": json_response(ref("Error"), text) for code, text in {
            400: "The request is wrong (a value, or a write without the X-CSRFToken header); "
                 "the message says what to fix.",
            401: "Not signed in, or the session ended.",
            403: "Your role may not do this, or your one-time password must be changed first.",
            404: "No such call, callback or recording (for you), or no such address.",
            409: "The call changed meanwhile (taken, already wrapped up).",
            502: "Twilio could not put the call through; it is back in the queue.",
            503: "Jobline lacks a Twilio setting; the message says to tell an administrator "
                 "(who finds the setting's name in the log and on the Users page)."}.items()},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "status"], "properties": {
                "error": {"type": "string"}, "status": {"type": "integer"}}},
            "Me": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "role": {"type": "string"},
                "status": {"type": "string"}, "status_since": {"type": "string", "format": "date-time"},
                "queues": {"type": "array", "items": {"type": "string"}},
                "languages": {"type": "array", "items": {"type": "string"}}}},
            "Entry": _entry,
            "WaitingRow": {"type": "object", "description": "A compact row of the waiting list; "
                           "labels come from the desk page, the rest from /api/entries/{entry_id}.",
                           "properties": {
                               "id": {"type": "integer"}, "queue": {"type": "string"},
                               "language": _nullable_str, "intent": _nullable_str,
                               "priority": {"type": "integer"},
                               "enqueued_at": {"type": "string", "format": "date-time"},
                               "wait_s": {"type": "integer"},
                               "caller": {"type": "string", "description": "Masked phone number."},
                               "name": _recording, "reason": {"type": "object", "nullable": True,
                                                              "properties": {"text": {"type": "string"}}},
                               "id_number": _caller["id_number"]}},
            "Summary": {"allOf": [ref("Entry"), {"type": "object", "properties": {
                "path": {"type": "array", "description": "Steps in the words the caller heard; "
                         "transfers last, as \"Transferred by <adviser> from <queue>\".",
                         "items": {"type": "object", "required": ["key", "label"], "properties": {
                             "key": _nullable_str, "label": {"type": "string"},
                             "kind": {"type": "string", "enum": ["transfer", "hold", "consult"],
                                      "description": "On a transfer's, hold's or consult's step."},
                             "seconds": {"type": "integer", "nullable": True, "description": "Hold length."},
                             "to": {"type": "string", "description": "The queue it went to."},
                             "by": _nullable_str, "note": _nullable_str}}},
                "history": {"type": "array", "items": {"type": "object", "properties": {
                    "call_id": {"type": "integer"}, "started_at": {"type": "string"},
                    "outcome": _nullable_str, "queue": _nullable_str, "disposition": _nullable_str,
                    "notes": {"type": "string"}, "adviser": _nullable_str,
                    "same_number": {"type": "boolean"}}}}}}]},
            "Callback": {"type": "object", "properties": {
                "id": {"type": "integer"}, "status": {"type": "string"}, "queue": {"type": "string"},
                "entry_id": {"type": "integer", "nullable": True,
                             "description": "The queue leg it came from (its summary: /api/entries/...)."},
                "queue_label": {"type": "string"}, "requested_at": {"type": "string"},
                "wait_s": {"type": "integer"}, "attempts": {"type": "integer"},
                "phone": {"type": "string"}, **_caller}},
            "DeskState": {"type": "object", "properties": {
                "server_time": {"type": "string", "format": "date-time"}, "me": ref("Me"),
                "waiting": {"type": "array", "items": ref("WaitingRow"),
                            "description": "The first 50 in serving order."},
                "waiting_total": {"type": "integer"},
                "longest_wait_since": {"type": "string", "format": "date-time", "nullable": True},
                "callbacks": {"type": "array", "items": ref("Callback")},
                "current": {"allOf": [ref("Summary")], "nullable": True},
                "failed_try": {"type": "object", "nullable": True, "additionalProperties": True,
                               "description": "The callback try that failed while you waited for "
                                              "it: callback_id, text (why, in words), status."},
                **OFFER_STATE}},
        },
    },
    "security": [{"session": []}],
}


SPEC["paths"].update(supervisor_paths())
# The failed-try notice's buttons (callcenter/desk/failed_tries_api.py), listed last; no links
# onward: they answer a notice a desk shows, not a step of a call's workflow.
SPEC["paths"].update({f"/api/callbacks/{{callback_id}}/{action}": {"post": {
        "operationId": op, "summary": summary, "parameters": [CALLBACK_ID],
        "responses": {"200": json_response(ref("DeskState"), "The desk after the change.")}
        | errors(*WRITE_ERRORS)}} for action, op, summary in (
        ("try-again", "tryCallbackAgain", "A callback whose try failed while you waited: dial it soon."),
        ("not-reached", "markCallbackNotReached", "That callback: no more tries (failed, for supervisors)."),
        ("failure-seen", "dismissFailedTry", "Hide the notice of that failed try."))})
SPEC["paths"].update(offer_paths(DESK_OK, errors(*WRITE_ERRORS, 502, 503)))
SPEC["paths"].update(TEXT_PATHS)  # /api/calls/{entry_id}/texts (callcenter/desk/texts_api.py)
add_conference(SPEC, errors(*WRITE_ERRORS, 502, 503), DESK_OK)  # hold, mute, consult


def spec_for(flow: Flow) -> dict[str, Any]:
    """SPEC for a deployment: the flow's queues and dispositions as the enums the server checks."""
    spec = copy.deepcopy(SPEC)
    paths = spec["paths"]
    body = "requestBody", "content", "application/json", "schema", "properties"
    _at(paths["/api/calls/{entry_id}/transfer"]["post"], body)["queue"]["enum"] = list(flow.queues)
    _at(paths["/api/calls/{entry_id}/consult"]["post"], body)["directory"]["enum"] = list(flow.directory)
    for path in ("/api/calls/{entry_id}/wrap-up", "/api/callbacks/{callback_id}/wrap-up"):
        _at(paths[path]["post"], body)["disposition"]["enum"] = list(flow.dispositions)
    for param in (*paths["/api/stats"]["get"]["parameters"], *paths["/api/floor"]["get"]["parameters"]):
        if param["name"] == "queue":
            param["schema"]["enum"] = list(flow.queues)
    text_enums(paths, flow)
    return spec


def _at(tree: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return reduce(lambda node, key: node[key], keys, tree)
