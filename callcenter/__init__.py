"""The people side: the desk, routing, reports and the wallboard, accounts, the web phone, demo data.

Each feature is a subpackage with its own blueprint, templates and static files; this package
holds what every page shares (base.html, error.html, app.css, route rules, security headers)."""

from __future__ import annotations

from flask import Blueprint, Flask

# The shared look: base.html and error.html, and app.css at /assets/app.css. No routes besides.
ui = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")


def nav_pages(app: Flask) -> list[tuple[str, str]]:
    """The pages of the top navigation as (label, path), in its order: what `run.py serve` lists.

    Read from the registered views marked with @nav, so a page that is off (the web phone in
    production without DEMO_PHONE) is not listed and a moved one is listed where it is."""
    found = []
    for rule in app.url_map.iter_rules():
        entry = getattr(app.view_functions[rule.endpoint], "nav_entry", None)
        if entry and "GET" in (rule.methods or ()):
            found.append((*entry, rule.rule))
    return [(label, path) for _, label, path in sorted(found)]


def init_app(app: Flask) -> None:
    """Register the desk, wallboard, reports, accounts and health blueprints and extensions."""
    from callcenter import access, health, prometheus, security
    from callcenter.accounts import admin, audit, login, privacy
    from callcenter.desk import (
        api,
        conference_api,
        consult_api,
        conversation_api,
        events,
        failed_tries_api,
        media,
        offers_api,
        texts_api,
    )
    from callcenter.desk import views as desk
    from callcenter.reports import flow_recordings, flowmap
    from callcenter.reports import views as reports
    from callcenter.webphone import inbox, ringing
    from callcenter.webphone import views as webphone

    access.init_app(app)
    security.init_app(app)  # before login: the device cookie follows the session cookie's flags
    login.init_app(app)
    app.register_blueprint(ui)
    app.register_blueprint(desk.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(conversation_api.bp)  # /api/calls/..., /api/callbacks/... of the current call
    app.register_blueprint(conference_api.bp)  # /api/calls/<id>/hold, resume, mute, unmute
    app.register_blueprint(consult_api.bp)  # /api/calls/<id>/consult, .../consult/transfer, .../return
    events.init_app(app)  # /api/events, and this process announces its queue changes
    app.register_blueprint(media.bp)
    app.register_blueprint(failed_tries_api.bp)  # /api/callbacks/<id>/try-again, not-reached
    app.register_blueprint(offers_api.bp)  # /api/offers/<id>/accept, reject: offered calls
    app.register_blueprint(texts_api.bp)  # /api/calls/<id>/texts: information by text message
    app.register_blueprint(admin.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(prometheus.bp)  # /metrics, for operators' monitoring
    flowmap.init_app(app)  # /flow, the flow map (drafts up to 512 KB)
    flow_recordings.init_app(app)  # /flow/recordings: the recorded prompts, on the flow map page
    app.register_blueprint(audit.bp)  # /admin/audit
    app.register_blueprint(privacy.bp)  # /admin/privacy
    webphone.init_app(app)
    ringing.init_app(app)  # a callback rings the web phone
    inbox.init_app(app)  # a text message reaches it
    reports.init_app(app)
    access.spare_webhooks(app)  # last: the desk's hooks above (CSRF, limiter, login, headers) skip /ivr
