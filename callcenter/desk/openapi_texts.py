"""OpenAPI of the desk's text messages (callcenter/desk/texts_api.py), merged into the desk API's
description (callcenter/desk/openapi.py); `text_enums` puts the flow's messages in as an enum."""

from __future__ import annotations

from typing import Any

from callcenter.params import ID_SCHEMA
from config.flow import Flow

_ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": ID_SCHEMA,
             "description": "The queue entry of your call (current, or in after-call work)."}
_ERROR = {"$ref": "#/components/schemas/Error"}
_nullable_str = {"type": "string", "nullable": True}
_TEXT = {"type": "object", "required": ["id", "message", "language", "status"], "properties": {
    "id": {"type": "integer"}, "message": {"type": "string"}, "language": {"type": "string"},
    "status": {"type": "string", "description": "requested, then Twilio's: queued, sending, sent, "
                                                "delivered, undelivered, failed."},
    "error_code": {"type": "integer", "nullable": True, "description": "Twilio's, when it failed."},
    "sent_by": {"type": "string", "enum": ["caller", "adviser"]},
    "requested_at": {"type": "string", "format": "date-time"}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


TEXT_PATHS: dict[str, Any] = {"/api/calls/{entry_id}/texts": {
    "get": {
        "operationId": "callTexts",
        "summary": "The information messages you may send this caller by text, in their language, "
                   "those sent, and why none can go (withheld number, daily limit), if so.",
        "parameters": [_ENTRY_ID],
        "responses": {"200": _json({"type": "object", "properties": {
            "language": {"type": "string"},
            "messages": {"type": "array", "items": {"type": "object", "properties": {
                "message": {"type": "string"}, "label": {"type": "string"}, "text": {"type": "string"}}}},
            "sent": {"type": "array", "items": _TEXT},
            "cannot_send": _nullable_str}}, "What can be sent.")} | _errors(401, 403, 404)},
    "post": {
        "operationId": "sendText",
        "summary": "Send the caller one of the flow's messages by text (no free text). 409 with the "
                   "reason for a withheld number or one past the daily limit; 503 when texts are "
                   "not set up.",
        "parameters": [_ENTRY_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["message"], "properties": {
                "message": {"type": "string", "description": "A message of the flow (enum)."}}}}}},
        "responses": {"201": _json(_TEXT, "Stored; the send is queued.")}
        | _errors(400, 401, 403, 404, 409, 503)},
}}


def text_enums(paths: dict[str, Any], flow: Flow) -> None:
    """The flow's messages with texts as the enum the server accepts."""
    body = paths["/api/calls/{entry_id}/texts"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"]["properties"]["message"]["enum"] = list(flow.texts) or ["none"]
