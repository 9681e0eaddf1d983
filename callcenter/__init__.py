"""The people side: agent desk, routing, callbacks, supervisor wallboard and reports, accounts."""

from __future__ import annotations

from types import ModuleType

from flask import Flask


def init_app(app: Flask, simulator: ModuleType) -> None:
    """Register the desk, wallboard, reports, accounts and health blueprints and extensions.

    `simulator` (ivr/simulator.py) drives the browser web phone; it is handed over by run.py
    because callcenter does not import ivr."""
    from callcenter import (
        access,
        audit,
        conversation_api,  # noqa: F401  (adds the on-call routes to the API's blueprint)
        login,
        privacy,
        reports,
        webphone,
    )
    from callcenter.admin import bp as admin_bp
    from callcenter.api import bp as api_bp
    from callcenter.desk import bp as desk_bp
    from callcenter.desk import ui
    from callcenter.flowmap import bp as flowmap_bp
    from callcenter.health import bp as health_bp
    from callcenter.media import bp as media_bp

    access.init_app(app)
    login.init_app(app)
    app.register_blueprint(ui)
    app.register_blueprint(desk_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(flowmap_bp)
    app.register_blueprint(audit.bp)  # /admin/audit
    app.register_blueprint(privacy.bp)  # /admin/privacy
    webphone.init_app(app, simulator)
    reports.init_app(app)
