"""The supervisors' part of the API description: /api/stats (callcenter/reports/views.py),
/api/wallboard and /api/floor (callcenter/reports/floor_view.py), merged into the desk API's
document by callcenter/desk/openapi.py, whose components their $refs name."""

from __future__ import annotations

from typing import Any

from callcenter.desk.openapi_30 import as_openapi_30
from callcenter.desk.openapi_parts import errors, json_response


def supervisor_paths() -> dict[str, Any]:
    from callcenter.reports.floor_view import FLOOR_OPENAPI
    from callcenter.reports.stats_schema import STATS_OPENAPI

    paths = as_openapi_30(STATS_OPENAPI["paths"])
    paths["/api/wallboard"] = {"get": {
        "summary": "The live floor, per queue (what /wallboard shows; on each event, or polled)",
        "description": "Calls waiting, longest wait, advisers by status, service level and "
                       "abandonment so far today, callbacks pending, calls in the IVR now, and "
                       "which thresholds are breached. For supervisors and admins.",
        "responses": {"200": json_response({"type": "object", "additionalProperties": True},
                                           "The floor now."), **errors(401, 403)},
    }}
    paths.update(FLOOR_OPENAPI)  # /api/floor (callcenter/reports/floor_view.py)
    return paths
