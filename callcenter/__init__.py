"""The people side: agent desk, routing, callbacks, supervisor wallboard and reports, accounts."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the desk, wallboard, reports, accounts and health blueprints and extensions."""
    from callcenter.health import bp as health_bp

    app.register_blueprint(health_bp)
