"""The desk as one adviser sees it: the queues they serve, the calls and callbacks waiting there,
their current call or callback, and the full ID number of a caller when they may see it.

GET /api/desk and every write of the desk API answer with `desk_state_of(user)`; the views in
callcenter/desk/api.py and conversation_api.py decide who may do what, this module what they see.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import abort, current_app
from sqlalchemy import select

from callcenter.accounts import audit
from callcenter.accounts.users import clock
from callcenter.desk.failed_tries import failed_try_notice
from callcenter.desk.holds import conversation_of
from callcenter.desk.offer_state import away_reason, mark_offer_only, match_now, offer_json
from callcenter.desk.requests import app_flow
from callcenter.desk.summary import ID_FIELD, callback_rows, callback_summary, full_summary, iso, waiting_rows
from callcenter.routing import claims
from callcenter.routing.callbacks import current_callback, enqueue_dial_due_callbacks
from config.flow import Flow
from db import session as db
from db.broker import redis_for
from db.models import Callback, CallEvent, Capture, QueueEntry, User
from db.states import CALLBACK_IN_LINE, LEG_WITH_ADVISER, CallbackStatus, LegStatus, Role

log = logging.getLogger(__name__)
DESK = (Role.AGENT, Role.SUPERVISOR)  # the roles that work at the desk
ON_CALL = LEG_WITH_ADVISER
OPEN_CALLBACKS = CALLBACK_IN_LINE
WAITING_SHOWN = 50
FAILED_SHOWN = timedelta(days=7)  # failed callbacks a supervisor's desk lists


def my_queues(user: User) -> list[str]:
    """The queues a desk shows: the user's own; a supervisor without any sees all of them."""
    if user.queues:
        return [q for q in user.queues if q in app_flow().queues]
    return list(app_flow().queues) if user.role == Role.SUPERVISOR else []


def current_entry(user: User) -> QueueEntry | None:
    """The call the user is on, or still wrapping up (ended, not yet done)."""
    s = db.current()
    return s.scalar(select(QueueEntry).where(
        QueueEntry.agent_id == user.id,
        QueueEntry.status.in_(ON_CALL)
        | ((QueueEntry.status == LegStatus.ENDED) & QueueEntry.wrapped_at.is_(None)),
    ).order_by(QueueEntry.id.desc()).limit(1))


def has_work(user: User) -> bool:
    """On a call or a callback, or still wrapping one up: no other call, no other status."""
    return current_entry(user) is not None or current_callback(db.current(), user.id) is not None


def _current_json(s: Any, flow: Flow, user: User, now: Any) -> dict[str, Any] | None:
    entry = current_entry(user)
    if entry is not None:
        summary = full_summary(s, flow, entry, now)
        if entry.status == LegStatus.CONNECTED:  # hold, mute, consults (callcenter/desk/holds.py)
            summary["conversation"] = conversation_of(s, entry, now)
        return summary
    callback = current_callback(s, user.id)
    return callback_summary(s, flow, callback, now) if callback is not None else None


def me_json(user: User) -> dict[str, Any]:
    """The adviser themself: name, role, status and since when, queues, languages."""
    return {"id": user.id, "name": user.name, "role": user.role, "status": user.status,
            "status_since": iso(user.status_since), "queues": my_queues(user),
            "languages": list(user.languages or [])}


def desk_state_of(user: User) -> dict[str, Any]:
    """What the desk shows `user`: waiting calls and callbacks of their queues, their current call."""
    s, flow, now = db.current(), app_flow(), clock(current_app.config)
    if match_now(flow, now):  # an offer made or closed, maybe this adviser's status with it
        s.refresh(user)
    queues = my_queues(user)
    entries = claims.waiting_entries(s, queues, user.languages or None) if queues else []
    shown = Callback.status.in_(OPEN_CALLBACKS)
    if user.role == Role.SUPERVISOR:  # and the week's failed ones, to be tried again
        shown = shown | ((Callback.status == CallbackStatus.FAILED)
                         & (Callback.last_attempt_at >= now - FAILED_SHOWN))
    callbacks = s.scalars(select(Callback).where(Callback.queue.in_(queues), shown)
                          .order_by(Callback.requested_at, Callback.id)).all() if queues else []
    oldest = min((e.enqueued_at for e in entries), default=None)
    current = _current_json(s, flow, user, now)
    return {
        "server_time": iso(now),
        "me": me_json(user),
        # The first rows in serving order: an adviser answers from the top; the wallboard
        # shows the whole line. The count and longest wait still cover everyone.
        "waiting": mark_offer_only(flow, waiting_rows(s, flow, entries[:WAITING_SHOWN], now)),
        "waiting_total": len(entries),
        "longest_wait_since": iso(oldest),
        "callbacks": callback_rows(s, flow, callbacks, now),
        "current": current,
        # A caller of an offer-mode queue ringing on this desk (callcenter/desk/offer_state.py).
        "offer": offer_json(s, flow, user, now) if current is None else None,
        "away_reason": away_reason(s, flow, user),
        # A callback try that failed while this adviser waited for it (none while on a call).
        "failed_try": failed_try_notice(s, user, now) if current is None else None,
    }


def dial_callbacks_soon() -> None:
    """An adviser is free again or a callback is back in line: ask the worker to dial now."""
    try:
        enqueue_dial_due_callbacks(redis_for(current_app.config["REDIS_URL"]))
    except Exception:  # Redis down: the worker's timer dials them within its next tick
        log.warning("could not queue the callback dialler; its timer will run it")


def revealed_id(user: User, call_id: int, talking: bool) -> dict[str, Any]:
    """The full ID number the caller typed, to a supervisor or to the adviser talking to them;
    recorded on the call (who asked, not the number) and committed. 403 for anyone else, 404
    when the caller gave none."""
    s = db.current()
    if user.role != Role.SUPERVISOR and not talking:
        abort(403, "You can see the full ID number once you are talking to this caller.")
    cap = s.scalar(select(Capture).where(Capture.call_id == call_id, Capture.field == ID_FIELD,
                                         Capture.value.is_not(None)).order_by(Capture.id.desc()).limit(1))
    if cap is None:
        abort(404, "This caller gave no ID number; ask them for it.")
    s.add(CallEvent(call_id=call_id, kind="id_revealed", detail=f"user {user.id}"))
    audit.record(s, "reveal_id", "call", call_id)
    s.commit()
    return {"id_number": cap.value, "status": cap.status}
