"""The offered-call part of the desk API's OpenAPI description (callcenter/desk/offers_api.py):
its routes, and the `offer` and `away_reason` of the desk state (callcenter/desk/offer_state.py)."""

from __future__ import annotations

from typing import Any

from callcenter.params import ID_SCHEMA

OFFER_ID = {"name": "offer_id", "in": "path", "required": True, "schema": ID_SCHEMA,
            "description": "The offer ringing on your desk (DeskState.offer.id)."}


def offer_paths(desk_ok: dict[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    """POST /api/offers/{offer_id}/accept and /reject."""
    return {f"/api/offers/{{offer_id}}/{action}": {"post": {
        "operationId": op, "summary": summary, "parameters": [OFFER_ID],
        "responses": desk_ok | errors}} for action, op, summary in (
        ("accept", "acceptOffer", "Take the call offered to you: put through to your phone, or, "
                                  "for a callback, Jobline dials the caller."),
        ("reject", "rejectOffer", "Pass on the call offered to you: it is offered to the next adviser."))}


OFFER_STATE: dict[str, Any] = {
    "offer": {"type": "object", "nullable": True, "additionalProperties": True,
              "description": "A caller of an offer-mode queue ringing on your desk: id, kind (call or "
                             "callback), queue, offered_at, expires_at, timeout_s, seconds_left, and "
                             "summary (as current)."},
    "away_reason": {"type": "string", "nullable": True,
                    "description": "Why Jobline put you on a break (offers missed in a row)."},
}
