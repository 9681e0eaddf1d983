"""The desk API is described by a valid OpenAPI 3 document, route for route."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from callcenter.desk.openapi import SPEC, spec_for


def test_the_spec_is_valid_openapi_3():
    validate(SPEC)


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_spec_and_back(app):
    routes = {(_flask_to_openapi(r.rule), m.lower()) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/") for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, ops in SPEC["paths"].items() for method in ops}
    assert routes - described == set(), "routes missing from callcenter/desk/openapi.py"
    assert described - routes == set(), "spec paths with no route"


def test_the_spec_is_served_to_signed_in_users(app, signed_in):
    response = signed_in("agent").get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")
    assert app.test_client().get("/api/openapi.json").status_code == 401


def test_the_served_spec_with_the_flows_enums_and_links_is_valid_openapi_3(app):
    spec = spec_for(app.extensions["jobline.flow"])
    validate(spec)
    operations = {op["operationId"] for ops in spec["paths"].values() for op in ops.values()
                  if "operationId" in op}
    links = spec["paths"]["/api/desk"]["get"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in links.values()} <= operations
