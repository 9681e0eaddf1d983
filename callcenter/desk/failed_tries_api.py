"""The buttons of the failed-try notice (failed_tries.py): try again, not reached, dismiss.

Only the adviser who was waiting for that try may press them (404 for anyone else)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app
from sqlalchemy.orm import Session

from callcenter.access import role_required
from callcenter.accounts.users import clock
from callcenter.desk.failed_tries import SHOWN_FOR, failed_try_notice, mark_seen
from callcenter.desk.requests import no_store_json, signed_in_user
from callcenter.desk.state import DESK, desk_state_of, dial_callbacks_soon
from db import session as db
from db.callback_tries import last_failed_try
from db.models import Callback, CallEvent, User
from db.states import CallbackStatus

bp = Blueprint("failed_tries", __name__, url_prefix="/api")


def _mine(callback_id: int) -> tuple[Session, User, CallEvent, Callback]:
    """The notice's callback, while the notice is on this adviser's desk (404 otherwise)."""
    s, user = db.current(), signed_in_user()
    now = clock(current_app.config)
    found = last_failed_try(s, user.id, now - SHOWN_FOR)
    if found is None or found[1].id != callback_id or failed_try_notice(s, user, now) is None:
        abort(404, "This callback is not one you were waiting for; refresh the desk.")
    return s, user, found[0], found[1]


@bp.post("/callbacks/<int:callback_id>/try-again")
@role_required(*DESK)
def try_again(callback_id: int) -> Any:
    """Dial this callback again as soon as an adviser is free (its place in line kept)."""
    s, user, event, cb = _mine(callback_id)
    if cb.status not in (CallbackStatus.PENDING, CallbackStatus.FAILED):
        abort(409, f"This callback is {cb.status} now; nothing to try again.")
    if cb.status == CallbackStatus.FAILED:
        cb.attempts = 0  # its tries counted afresh, as a supervisor's retry does
    cb.status, cb.agent_id, cb.last_attempt_at = CallbackStatus.PENDING, None, None
    mark_seen(s, event, "try-again")
    s.commit()
    dial_callbacks_soon()
    return no_store_json(desk_state_of(user))


@bp.post("/callbacks/<int:callback_id>/not-reached")
@role_required(*DESK)
def not_reached(callback_id: int) -> Any:
    """Give up on this callback: no more tries; it stays among the failed ones for supervisors."""
    s, user, event, cb = _mine(callback_id)
    if cb.status == CallbackStatus.PENDING:
        cb.status = CallbackStatus.FAILED
    elif cb.status != CallbackStatus.FAILED:
        abort(409, f"This callback is {cb.status} now; it was reached.")
    mark_seen(s, event, "not-reached")
    s.commit()
    return no_store_json(desk_state_of(user))


@bp.post("/callbacks/<int:callback_id>/failure-seen")
@role_required(*DESK)
def dismiss(callback_id: int) -> Any:
    """Hide the notice; Jobline goes on as it would (a retry later, or failed after the last)."""
    s, user, event, _ = _mine(callback_id)
    mark_seen(s, event, "dismissed")
    s.commit()
    return no_store_json(desk_state_of(user))
