"""Twilio webhooks: signature check, the IVR engine walking config/ivr.yaml, TwiML, call records."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhook blueprints (every view in them checks X-Twilio-Signature)."""
    from ivr.queue.queueing import bp as queue_bp
    from ivr.views.webhooks import bp

    app.register_blueprint(bp)
    app.register_blueprint(queue_bp)
