"""Admin pages to manage accounts: create, set role / queues / languages / phone, reset a
password (one-time, shown once on the page, never sent in a URL or cookie), deactivate."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from callcenter.access import nav, role_required
from callcenter.accounts import audit
from callcenter.accounts import users as accounts
from callcenter.routing.callbacks import reaches_twilio
from callcenter.routing.claims import browser_phone_missing
from callcenter.security import no_store
from config.flow import Flow
from db import session as db
from db.models import User
from db.states import ROLES, Role
from ivr.telephony.numbers import is_fictional

bp = Blueprint("admin", __name__, url_prefix="/admin")
def _flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def _user_or_404(user_id: int) -> User:
    user = db.current().get(User, user_id)
    if user is None:
        abort(404, "No account has this number; go back to the list of users.")
    return user


def _choices(form_key: str, allowed: list[str]) -> list[str]:
    chosen = request.form.getlist(form_key)
    unknown = sorted(set(chosen) - set(allowed))
    if unknown:
        raise accounts.AccountError(f"{unknown[0]!r} is not in the flow file; pick from the list.")
    return [c for c in allowed if c in chosen]  # in the flow's order


# The dialler refuses the same numbers (callcenter/routing/callbacks.py): they ring no one.
FICTIONAL_PHONE = ("That number is in a range kept for films and tests (a drama number), so it rings "
                   "no one and Jobline would not put calls through to it. Give the adviser's own "
                   "number, or leave it empty to take calls in the browser.")


def _phone() -> str | None:
    phone = accounts.checked_phone(request.form.get("phone"))
    if is_fictional(phone) and reaches_twilio(current_app.config):  # the demo and tests ring fakes
        raise accounts.AccountError(FICTIONAL_PHONE)
    return phone


def _other_active_admins(s: Any, user: User) -> int:
    return s.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)) or 0


def _list_page(status: int = 200, **extra: Any) -> Any:
    users = db.current().scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("admin_users.html", users=users, roles=ROLES, flow=_flow(),
                           phone_missing=browser_phone_missing(current_app.config), **extra), status


def _edit_page(user: User, status: int = 200, **extra: Any) -> Any:
    return render_template("admin_user.html", user=user, roles=ROLES, flow=_flow(), **extra), status


@bp.get("/users")
@nav("Users", order=90)
@role_required(Role.ADMIN)
def users() -> Any:
    return _list_page()


@bp.post("/users")
@role_required(Role.ADMIN)
def create() -> Any:
    s, flow = db.current(), _flow()
    try:
        user, otp = accounts.create_user(
            s, request.form.get("username") or "", request.form.get("name") or "",
            request.form.get("role") or Role.AGENT,
            queues=_choices("queues", list(flow.queues)),
            languages=_choices("languages", [lang.code for lang in flow.languages]),
            phone=_phone())
    except accounts.AccountError as e:
        s.rollback()
        return _list_page(400, error=str(e), form=request.form)
    audit.record(s, "account_created", "user", user.id, f"role {user.role}")
    s.commit()
    no_store()  # the page shows the one-time password: no cache may keep it
    return _list_page(201, created=user, one_time_password=otp)


@bp.get("/users/<int:user_id>")
@role_required(Role.ADMIN)
def edit(user_id: int) -> Any:
    return _edit_page(_user_or_404(user_id))


@bp.post("/users/<int:user_id>")
@role_required(Role.ADMIN)
def update(user_id: int) -> Any:
    s, flow, user = db.current(), _flow(), _user_or_404(user_id)
    try:
        role = request.form.get("role") or user.role
        if role not in ROLES:
            raise accounts.AccountError(f"Role {role!r} does not exist; use one of: {', '.join(ROLES)}.")
        if user.role == Role.ADMIN and role != Role.ADMIN and not _other_active_admins(s, user):
            raise accounts.AccountError("This is the last active admin; make another admin first.")
        name = (request.form.get("name") or "").strip()
        if not name:
            raise accounts.AccountError("Give the person's name as colleagues know it.")
        user.name, user.role, user.phone = name[:120], role, _phone()
        user.queues = _choices("queues", list(flow.queues))
        user.languages = _choices("languages", [lang.code for lang in flow.languages])
    except accounts.AccountError as e:
        s.rollback()
        return _edit_page(_user_or_404(user_id), 400, error=str(e))
    audit.record(s, "account_changed", "user", user.id, f"role {user.role}")
    s.commit()
    return _edit_page(user, message="Saved.")


@bp.post("/users/<int:user_id>/reset-password")
@role_required(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    s, user = db.current(), _user_or_404(user_id)
    otp = accounts.reset_password(s, user)
    audit.record(s, "password_reset", "user", user.id)
    s.commit()
    no_store()  # the page shows the one-time password: no cache may keep it
    return _edit_page(user, one_time_password=otp)


@bp.post("/users/<int:user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(user_id: int) -> Any:
    s, user = db.current(), _user_or_404(user_id)
    if user.id == current_user.id:
        return _edit_page(user, 400, error="You cannot deactivate your own account.")
    if user.role == Role.ADMIN and not _other_active_admins(s, user):
        return _edit_page(user, 400, error="This is the last active admin; make another admin first.")
    accounts.deactivate(s, user, accounts.clock(current_app.config))
    audit.record(s, "account_deactivated", "user", user.id)
    s.commit()
    return _edit_page(user, message="Deactivated: this account can no longer sign in.")


@bp.post("/users/<int:user_id>/activate")
@role_required(Role.ADMIN)
def activate(user_id: int) -> Any:
    s, user = db.current(), _user_or_404(user_id)
    user.active = True
    audit.record(s, "account_activated", "user", user.id)
    s.commit()
    return _edit_page(user, message="Active again: this person can sign in.")
