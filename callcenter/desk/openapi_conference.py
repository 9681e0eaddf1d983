"""OpenAPI paths of hold, resume, mute and unmute (callcenter/desk/conference_api.py), merged into
the desk API's description (callcenter/desk/openapi.py)."""

from __future__ import annotations

from typing import Any

from callcenter.params import ID_SCHEMA

ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": ID_SCHEMA,
            "description": "Your current call's queue leg (the desk's current.id)."}
CONVERSATION = {"type": "object", "required": ["id", "on_hold", "muted", "hold_s"], "properties": {
    "id": {"type": "integer"},
    "on_hold": {"type": "boolean", "description": "The caller hears the hold music."},
    "muted": {"type": "boolean", "description": "The caller does not hear you."},
    "hold_s": {"type": "integer", "description": "Seconds the caller has been on hold in this "
                                                 "conversation, the hold now included."}}}
ACTIONS = (
    ("hold", "holdCall", "Put the caller on hold: they hear the hold music and do not hear you."),
    ("resume", "resumeCall", "Take the caller off hold."),
    ("mute", "muteCall", "Mute yourself: the caller stops hearing you; you still hear them."),
    ("unmute", "unmuteCall", "Unmute yourself."),
)


def conference_paths(errors: dict[str, Any]) -> dict[str, Any]:
    """The four paths; `errors` are the desk's error responses (400-409, 502)."""
    return {f"/api/calls/{{entry_id}}/{action}": {"post": {
        "operationId": op, "summary": summary,
        "description": "409 (a sentence saying why) when the caller is not talking with you, is "
                       "already in that state, or the call has no conference room; 502 when Twilio "
                       "refused or could not be reached (nothing changed).",
        "parameters": [ENTRY_ID],
        "responses": {"200": {"description": "The conversation after the change.",
                              "content": {"application/json": {"schema": CONVERSATION}}}} | errors}}
        for action, op, summary in ACTIONS}
