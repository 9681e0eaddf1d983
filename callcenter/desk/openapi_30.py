"""JSON Schema 2020 style nullables (the reports' fragment) in OpenAPI 3.0's words, for the desk's spec."""

from __future__ import annotations

from typing import Any


def as_openapi_30(schema: Any) -> Any:
    """JSON-Schema style `type: [T, "null"]` (used by the reports' fragment) as 3.0's nullable."""
    if isinstance(schema, dict):
        out = {k: as_openapi_30(v) for k, v in schema.items()}
        kind = out.get("type")
        if isinstance(kind, list) and "null" in kind:
            rest = [t for t in kind if t != "null"]
            out["type"], out["nullable"] = rest[0] if len(rest) == 1 else rest, True
        return out
    if isinstance(schema, list):
        return [as_openapi_30(item) for item in schema]
    return schema
