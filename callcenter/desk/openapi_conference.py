"""OpenAPI paths of hold, resume, mute and unmute (callcenter/desk/conference_api.py), merged into
the desk API's description (callcenter/desk/openapi.py)."""

from __future__ import annotations

from typing import Any

from callcenter.params import ID_SCHEMA

ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": ID_SCHEMA,
            "description": "Your current call's queue leg (the desk's current.id)."}
CONVERSATION = {"type": "object", "required": ["id", "room", "on_hold", "muted", "hold_s"], "properties": {
    "id": {"type": "integer"},
    "room": {"type": "boolean", "description": "The call is in its conference room: only then can it "
                                               "be held, muted or consulted on."},
    "on_hold": {"type": "boolean", "description": "The caller hears the hold music."},
    "muted": {"type": "boolean", "description": "The caller does not hear you."},
    "hold_s": {"type": "integer", "description": "Seconds the caller has been on hold in this "
                                                 "conversation, the hold now included."},
    "consults": {"type": "integer", "description": "Times you brought someone in on this call."},
    "consulting": {"type": "string", "nullable": True,
                   "description": "The directory line on the call with you now (its code)."}}}
ACTIONS = (
    ("hold", "holdCall", "Put the caller on hold: they hear the hold music and do not hear you."),
    ("resume", "resumeCall", "Take the caller off hold."),
    ("mute", "muteCall", "Mute yourself: the caller stops hearing you; you still hear them."),
    ("unmute", "unmuteCall", "Unmute yourself."),
)


def add_conference(spec: dict[str, Any], errors: dict[str, Any], desk_ok: dict[str, Any]) -> None:
    """Add the paths below to `spec`, and the desk's current call's `conversation` (while talking)."""
    spec["paths"].update(conference_paths(errors, desk_ok))
    spec["components"]["schemas"]["Summary"]["allOf"][1]["properties"]["conversation"] = CONVERSATION | {
        "description": "While you talk to the caller (not while ringing, not in after-call work)."}


def conference_paths(errors: dict[str, Any], desk_ok: dict[str, Any]) -> dict[str, Any]:
    """Hold, resume, mute, unmute and the consult's three; `errors` are the desk's error responses
    (400-409, 502, 503), `desk_ok` its answer with the whole desk."""
    return _changes(errors) | consult_paths(errors, desk_ok)


def _ok(description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": CONVERSATION}}}}


def consult_paths(errors: dict[str, Any], desk_ok: dict[str, Any]) -> dict[str, Any]:
    return {
        "/api/calls/{entry_id}/consult": {"post": {
            "operationId": "consult",
            "summary": "Hold the caller and ring a line of the directory into the call (no other number).",
            "parameters": [ENTRY_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["directory"], "properties": {
                    "directory": {"type": "string", "description": "A directory code (enum)."}}}}}},
            "responses": _ok("The conversation: the caller on hold, the line ringing.") | errors}},
        "/api/calls/{entry_id}/consult/return": {"post": {
            "operationId": "consultReturn",
            "summary": "The consulted line leaves; the caller comes off hold with you.",
            "parameters": [ENTRY_ID], "responses": _ok("The conversation.") | errors}},
        "/api/calls/{entry_id}/consult/transfer": {"post": {
            "operationId": "consultTransfer",
            "summary": "Hand the caller to the consulted line and leave the call; after-call work starts.",
            "parameters": [ENTRY_ID], "responses": desk_ok | errors}},
    }


def _changes(errors: dict[str, Any]) -> dict[str, Any]:
    return {f"/api/calls/{{entry_id}}/{action}": {"post": {
        "operationId": op, "summary": summary,
        "description": "409 (a sentence saying why) when the caller is not talking with you, is "
                       "already in that state, or the call has no conference room; 502 when Twilio "
                       "refused or could not be reached (nothing changed).",
        "parameters": [ENTRY_ID],
        "responses": _ok("The conversation after the change.") | errors}}
        for action, op, summary in ACTIONS}
