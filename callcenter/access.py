"""Deny-by-default access rules for every endpoint of the app.

Each view declares who may call it:

    @bp.get("/desk")
    @role_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    def desk() -> str: ...

    @bp.get("/login")
    @public
    def login() -> str: ...

Twilio webhook blueprints (names starting with "ivr") are public-with-signature: their views
are wrapped in ivr.telephony.signature.twilio_signed and carry no CSRF token. A before_request hook
refuses every other endpoint that declares no rule, so a route added without one is closed
(and tests/callcenter/test_access_rules.py fails on it).

The desk's other per-request machinery (CSRF, the sign-in limiter, flask-login's cookie, the
security headers) is for browsers: `spare_webhooks` keeps it off Twilio's webhooks, which
then pay only for the access rule (their views check X-Twilio-Signature themselves).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import Forbidden, HTTPException

from callcenter.params import RowIdConverter
from db.states import ROLES

log = logging.getLogger(__name__)
csrf = CSRFProtect()

PUBLIC = "public"
SIGNED = "twilio-signed"
WEBHOOK_PREFIX = "ivr"  # the blueprints of Twilio's webhooks: ivr, ivr_queue, ivr_whisper, ivr_callback_call
WEBHOOK_PATH = "/ivr/"  # where they are served
# Reachable while a password change is pending (the one-time password was just used).
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "auth.login", "static", "ui.static"}


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the view to signed-in users whose role is one of `roles` (checked again in the view)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"role_required({', '.join(roles)}): use roles from {ROLES}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            refusal = _refuse_unless(frozenset(roles))
            return refusal if refusal is not None else view(*args, **kwargs)

        checked.access_rule = frozenset(roles)  # type: ignore[attr-defined]
        return checked

    return decorate


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as reachable without signing in (login, health)."""
    view.access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def nav(label: str, order: int = 50) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Show the view in the top navigation to the roles its access rule allows (put it above
    @role_required so the rule is already attached)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view.nav_entry = (order, label)  # type: ignore[attr-defined]
        return view

    return decorate


def rule_for(app: Flask, endpoint: str) -> frozenset[str] | str | None:
    """The access rule of an endpoint: a set of roles, PUBLIC, SIGNED, or None (no rule)."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    if endpoint.split(".", 1)[0].startswith(WEBHOOK_PREFIX) and "." in endpoint:
        return SIGNED if is_twilio_signed(view) else None
    return getattr(view, "access_rule", None)


def is_twilio_signed(view: Callable[..., Any]) -> bool:
    """True when the view (or a wrapper around it) is ivr.telephony.signature.twilio_signed's checker,
    which marks itself with `checks_twilio_signature` (callcenter does not import ivr)."""
    while view is not None:
        if getattr(view, "checks_twilio_signature", False) is True:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _refuse_unless(roles: frozenset[str]) -> Any:
    if not current_user.is_authenticated:
        if wants_json():
            return error_json(401, "You are not signed in (or your session ended): sign in again.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in roles:
        raise Forbidden(f"Your role ({current_user.role}) cannot open this page; "
                        f"it is for: {', '.join(sorted(roles))}.")
    return None


def _check_request() -> Any:
    """Runs before every request: find the endpoint's rule, then sign-in, CSRF, and the role.
    Sign-in comes before CSRF so that a client without a session hears 401 "sign in" (what it
    can fix), not 400 about a token that only a signed-in page could have given it."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: Flask answers 404/405 itself
        return None
    rule = rule_for(current_app, endpoint)
    if rule is None:
        log.warning("refused endpoint %s: it declares no access rule", endpoint)
        raise Forbidden("This address has no access rule yet, so it is closed to everyone.")
    if rule == SIGNED:
        return None  # the view checks X-Twilio-Signature; Twilio sends no CSRF token
    if rule != PUBLIC and not current_user.is_authenticated:
        return _refuse_unless(rule)
    csrf.protect()
    if rule == PUBLIC:
        return None
    if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        if wants_json():
            return error_json(403, "Change your one-time password first (open /account/password).")
        return redirect(url_for("auth.change_password"))
    return _refuse_unless(rule)


def error_json(status: int, message: str) -> Any:
    return jsonify({"error": message, "status": status}), status


def _handle_http_error(e: HTTPException) -> Any:
    messages = {
        400: "The request was not understood; check the fields and send it again.",
        403: "You do not have access to this.",
        404: "Nothing is at this address; check it, or go back to your start page.",
        405: "This address does not take that method.",
        413: "What was sent is too large.",
    }
    # werkzeug's own texts are for developers; ours, given to abort(code, "..."), are for the
    # person and pass through whatever word they start with.
    own = e.description if e.description and not _werkzeugs_text(e) else None
    message = own or messages.get(e.code or 500, e.description or "Something went wrong.")
    if request.path.startswith(WEBHOOK_PATH):
        return e  # Twilio's side keeps its own error handling (and webhooks have no session)
    if wants_json():
        response = error_json(e.code or 500, message)
    else:
        response = render_template("error.html", code=e.code, message=message), e.code or 500
    # The exception's headers that are not about its body: 405's Allow (RFC 9110 section
    # 15.5.6 requires it), 401's WWW-Authenticate, 429's Retry-After.
    kept = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
    return (*response, kept) if kept else response


def _werkzeugs_text(e: HTTPException) -> bool:
    """True when the exception says what its werkzeug class says by default (the nearest class
    whose `description` is a text: BadRequestKeyError's is a property over BadRequest's)."""
    for cls in type(e).__mro__:
        text = cls.__dict__.get("description")
        if isinstance(text, str):
            return e.description == text
    return False


def _handle_csrf(e: CSRFError) -> Any:
    message = ("The form's security token is missing or expired (" + (e.description or "").rstrip(".")
               + "). Reload the page and send it again.")
    if wants_json():
        return error_json(400, message + " API calls must send the page's token in the X-CSRFToken header.")
    return render_template("error.html", code=400, message=message), 400


def _nav_links() -> dict[str, Any]:
    """Top navigation: the views marked with @nav that the current role may open."""
    links: list[tuple[int, str, str]] = []
    if current_user.is_authenticated:
        for endpoint, view in current_app.view_functions.items():
            entry = getattr(view, "nav_entry", None)
            rule = getattr(view, "access_rule", None)
            if entry and isinstance(rule, frozenset) and current_user.role in rule:
                links.append((entry[0], entry[1], endpoint))
    return {"nav_links": [(label, endpoint) for _, label, endpoint in sorted(links)]}


def allow_larger_body(app: Flask, endpoint: str, max_bytes: int) -> None:
    """Let one endpoint take a body over the app's MAX_CONTENT_LENGTH (a webhook's 64 KB): a
    recording, a flow file. Set in the first of the app's hooks, since CSRFProtect reads
    request.form (parsed under the limit) before any view runs; every other request keeps it."""
    limits = app.extensions.setdefault("jobline.body_limits", {})
    if not limits:
        def _raise_limit() -> None:
            if request.endpoint in limits:
                request.max_content_length = limits[request.endpoint]
        app.before_request_funcs.setdefault(None, []).insert(0, _raise_limit)
    limits[endpoint] = max_bytes


def is_webhook() -> bool:
    """Whether this request is one of Twilio's webhooks (served under WEBHOOK_PATH)."""
    return request.path.startswith(WEBHOOK_PATH)


def spare_webhooks(app: Flask) -> None:
    """Run the app-wide hooks registered so far (the desk's: access rules, CSRF, the limiter,
    flask-login, security headers) for people's requests only; a webhook gets the access rule
    alone. Called once every extension is registered (the end of callcenter.init_app, which
    run.create_app calls after ivr.init_app).

    The hooks are gathered into one hook of each kind, run in the order Flask would run them,
    so a webhook does not even pay for calling them (measured in bench/RESULTS.md, issue 15).
    """
    before = app.before_request_funcs.pop(None, [])
    after = app.after_request_funcs.pop(None, [])
    teardown = app.teardown_request_funcs.pop(None, [])

    def for_people_before() -> Any:
        if is_webhook():
            return _check_request()
        for hook in before:
            answer = hook()
            if answer is not None:
                return answer
        return None

    def for_people_after(response: Any) -> Any:
        if is_webhook():
            return response
        for hook in reversed(after):
            response = hook(response)
        return response

    def for_people_teardown(error: BaseException | None) -> None:
        if is_webhook():
            return
        for hook in reversed(teardown):
            hook(error)

    app.before_request_funcs[None] = [for_people_before]
    app.after_request_funcs[None] = [for_people_after]
    app.teardown_request_funcs[None] = [for_people_teardown]


def init_app(app: Flask) -> None:
    # The hook decides where CSRF applies (everywhere but signed webhooks), so a webhook
    # blueprint registered later needs no exemption list.
    # Every <int:...> id in the desk's routes is one a row can have (callcenter/params.py). A rule
    # binds its converter when added, so this runs before callcenter registers its blueprints
    # (the signed webhooks, registered earlier, only receive ids Jobline itself put in URLs).
    app.url_map.converters["int"] = RowIdConverter
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # Desk pages stay open all day; the token lives as long as the login session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.before_request(_check_request)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.context_processor(_nav_links)
