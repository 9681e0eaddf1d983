"""What GET /api/stats (callcenter/reports/views.py) answers, described for the API's OpenAPI
document: merged into it by callcenter/desk/openapi_supervisor.py, whose components the $refs name."""

from __future__ import annotations

from typing import Any

from callcenter.params import FIRST_DAY, ID_SCHEMA, LAST_DAY
from callcenter.reports.metrics import MAX_PERIOD_DAYS
from callcenter.reports.offer_metrics import OFFER_FIGURES
from callcenter.reports.survey_metrics import SURVEY_SCHEMA

PARTS = ("queue", "ivr", "advisers", "survey")  # the groups of figures ?parts= may ask for

_RATE = {"type": ["number", "null"], "description": "percent, 0-100, one decimal; null when the "
                                                     "denominator is zero"}
_SECONDS = {"type": ["number", "null"], "description": "seconds, one decimal; null when nothing to average"}
_COUNT = {"type": "integer"}
_QUEUE_FIGURES = {
    "type": "object",
    "properties": {"offered": _COUNT, "answered": _COUNT, "abandoned": _COUNT, "short_abandons": _COUNT,
                   "callbacks": _COUNT, "voicemails": _COUNT, "transferred_out": _COUNT,
                   "service_level": _RATE, "abandonment_rate": _RATE, "asa_s": _SECONDS,
                   "avg_abandon_s": _SECONDS, "callbacks_requested": _COUNT, "callbacks_completed": _COUNT,
                   "callbacks_failed": _COUNT, "callback_attempts": _COUNT, "time_to_callback_s": _SECONDS,
                   **dict.fromkeys(OFFER_FIGURES, _COUNT)},
}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A query parameter of /api/stats; empty is allowed and means the default."""
    return {"name": name, "in": "query", "schema": schema, "allowEmptyValue": True,
            **({"description": description} if description else {})}


STATS_OPENAPI: dict[str, Any] = {
    "paths": {"/api/stats": {"get": {
        "summary": "Contact-centre figures for a period (METRICS.md definitions)",
        "description": "Calls belong to the period in which they started, in the PES time zone. "
                       "For supervisors and admins. `formulas` gives the formula of every figure. "
                       "An empty parameter is the same as none (the report pages' forms send them).",
        "parameters": [
            _query("from", {"type": "string", "format": "date"},
                   f"first local day (YYYY-MM-DD, {FIRST_DAY} to {LAST_DAY}), default today"),
            _query("to", {"type": "string", "format": "date"},
                   f"last local day, inclusive, default `from`; not before `from`, and at most "
                   f"{MAX_PERIOD_DAYS} days after it (else 400)"),
            _query("queue", {"type": "string"}, "one queue of the flow (enum); another name gets 400"),
            _query("language", {"type": "string"}),
            _query("agent", ID_SCHEMA, "an adviser's id"),
            _query("intent", {"type": "string"}),
            _query("parts", {"type": "array", "items": {"type": "string", "enum": list(PARTS)}},
                   "which groups of figures to compute, comma-separated (default all)")
            | {"style": "form", "explode": False},
        ],
        "responses": {
            "200": {"description": "figures", "content": {"application/json": {"schema": {
                "allOf": [_QUEUE_FIGURES, {"type": "object", "properties": {
                    "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                    "timezone": {"type": "string"}, "queue": {"type": ["string", "null"]},
                    "queues": {"type": "object", "additionalProperties": _QUEUE_FIGURES},
                    "ivr": {"type": "object", "properties": {
                        "calls": _COUNT, "containment": _RATE, "true_containment": _RATE,
                        "ivr_hangup_rate": _RATE, "transcription_success": _RATE}},
                    "texts": {"type": "object", "description": "with parts=ivr: information by text message",
                              "properties": {"texts_sent": _COUNT, "texts_delivered": _COUNT,
                                             "texts_failed": _COUNT, "text_delivery_rate": _RATE,
                                             "messages": {"type": "array", "items": {"type": "object"}}}},
                    "advisers": {"type": "object", "properties": {
                        "handled": _COUNT, "aht_s": _SECONDS, "occupancy": _RATE, "transfers_out": _COUNT,
                        "callbacks_completed": _COUNT, **dict.fromkeys(OFFER_FIGURES, _COUNT)}},
                    "survey": SURVEY_SCHEMA,
                    "formulas": {"type": "object", "additionalProperties": {"type": "string"}}}}]}}}},
            "400": {"$ref": "#/components/responses/E400"},
            "401": {"$ref": "#/components/responses/E401"},
            "403": {"$ref": "#/components/responses/E403"},
        },
    }}},
}
