"""Deny by default: every route declares who may use it, and the role matrix holds for all."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from callcenter.access import PUBLIC, SIGNED, rule_for
from db.models import ROLES
from tests.support.desk import csrf_from

# What each endpoint is for, as the brief set it; a new route must be added here on purpose.
EXPECTED = {
    "auth.login": PUBLIC, "health.healthz": PUBLIC,
    "auth.home": {"agent", "supervisor", "admin"},
    "auth.logout": {"agent", "supervisor", "admin"},
    "auth.change_password": {"agent", "supervisor", "admin"},
    "desk.desk": {"agent", "supervisor"},
    "admin.users": {"admin"}, "admin.create": {"admin"}, "admin.edit": {"admin"},
    "admin.update": {"admin"}, "admin.reset_password": {"admin"},
    "admin.deactivate": {"admin"}, "admin.activate": {"admin"},
    "api.openapi": {"agent", "supervisor", "admin"},
    "api.retry_callback": {"supervisor"},  # a failed callback back in line: a supervisor's call
    # personal data of anyone, and who looked at it: admins only (issue 13)
    "audit.audit_log": {"admin"}, "audit.audit_csv": {"admin"},
    "privacy.search_page": {"admin"}, "privacy.find": {"admin"}, "privacy.export": {"admin"},
    "privacy.erase": {"admin"},
}
DESK_API = {"agent", "supervisor"}


def _routes(app: Flask):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule) -> str:
    """A concrete URL for the rule: 1 for integers, an allowed value for any(...), 'x' otherwise."""
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        kind = converter.__class__.__name__
        values[arg] = (1 if isinstance(converter, IntegerConverter) else sorted(converter.items)[0]
                       if kind == "AnyConverter" else "app.css" if kind == "PathConverter" else "x")
    return rule.build(values, append_unknown=False)[1]


def test_every_route_has_an_access_rule(app):
    missing = [rule.endpoint for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None]
    assert missing == [], f"routes without @role_required/@public (or twilio_signed): {missing}"


def test_webhook_routes_check_twilio_signatures(app):
    webhooks = [r.endpoint for r in app.url_map.iter_rules() if r.endpoint.split(".")[0].startswith("ivr")
                and not r.endpoint.endswith(".static")]
    assert webhooks, "the IVR webhooks are registered"
    assert all(rule_for(app, e) == SIGNED for e in webhooks)


def test_a_route_added_without_a_rule_is_closed(make_app, signed_in):
    app = make_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert rule_for(app, "forgotten") is None
    assert app.test_client().get("/forgotten").status_code == 403


def test_my_routes_have_the_rules_the_brief_sets(app):
    for endpoint, expected in EXPECTED.items():
        rule = rule_for(app, endpoint)
        assert (rule == expected) if expected == PUBLIC else (set(rule) == expected), endpoint
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "calls.", "media.")) and rule.endpoint not in EXPECTED:
            assert set(rule_for(app, rule.endpoint)) == DESK_API, rule.endpoint


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_role_matrix_over_every_route(app, signed_in, who):
    """Each role (and nobody) against every route: refused exactly where its rule says."""
    if who == "anonymous":
        client = app.test_client()
        token = csrf_from(client, "/login")
    else:
        desk = signed_in(who)
        client, token = desk.client, desk.token
    wrong = []
    for rule, method in _routes(app):
        access = rule_for(app, rule.endpoint)
        if access in (PUBLIC, SIGNED) or rule.endpoint == "auth.logout":
            continue
        response = client.open(_url(rule), method=method, headers={"X-CSRFToken": token},
                               data={"csrf_token": token})
        response.close()  # streamed answers (CSV exports) are not read here
        allowed = who in access
        refused = response.status_code in (401, 403) or (
            response.status_code == 302 and "/login" in response.headers.get("Location", ""))
        if allowed == refused:
            wrong.append(f"{method} {rule.rule} as {who}: {response.status_code}")
    assert wrong == []
