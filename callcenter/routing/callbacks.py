"""Calling back the callers who asked for it, in their place in line.

A pending callback's turn comes when no live caller of the same queue and language is ahead of
it (priority, then the time they first joined the queue) and an adviser serving that line is
available. Jobline then reserves the adviser, calls the caller from TWILIO_CALLER_ID (a local
or national number: none set, none dialled) and, once they press 1 (ivr/queue/callback_calls.py),
puts the adviser through. A try that reaches no one goes back to pending and is tried again
after CALLBACK_RETRY_S, up to CALLBACK_MAX_ATTEMPTS, then the callback is marked failed.

A number kept for fiction (ivr/telephony/numbers.py `is_fictional`: the demo's, the web
phone's, the tests' callers) is never sent to Twilio itself: that dial is refused before the
REST request and the callback marked failed at once, as no retry can reach anyone. The rule is
here, not in the booking rules: the web phone's callers have these numbers and book callbacks,
which ring their page when its bridge is the REST client's (DEMO_PHONE: the app's, and the
worker's through `job_config`; callcenter/webphone/rings.py), and the tests book and "dial" them
through a stand-in for Twilio's REST API (Prism, a fake), which stays allowed.

`dial_due_callbacks` is the RQ job (no arguments: ids only, and none needed); run it whenever an
adviser becomes available and on a short timer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from config import settings
from config.flow import Flow, load_flow
from config.hours import is_open
from db import session as db
from db.advisers import serving, set_status
from db.callback_tries import note_failed_try
from db.models import AgentStatusChange, Callback, QueueEntry, User
from db.states import AdviserStatus, CallbackStatus, LegStatus
from ivr.telephony.numbers import CallbackPolicy, callback_caller_id_problem, is_fictional
from ivr.telephony.rest import public_url, twilio_client

log = logging.getLogger(__name__)
CALLBACK_QUEUE = "callbacks"
RING_TIMEOUT_S = 25
TICK_S = 15  # how often the timer looks for callbacks whose turn has come


class FictionalNumber(ValueError):
    """A callback's number is in a range kept for fiction and the dial would reach Twilio."""


def reaches_twilio(config: Mapping[str, Any]) -> bool:
    """Would a call placed with this config's REST client reach Twilio itself? Yes with twilio's
    own HTTP client (no TWILIO_HTTP_CLIENT: production) and through one that hands what it does
    not answer to an `inner` client (the web phone's bridge, which answers only about its own
    calls and new calls to its demo numbers: `_web_phone_rings`); no with a stand-in (the tests'
    Prism mock, a fake)."""
    client = config.get("TWILIO_HTTP_CLIENT")
    while client is not None and getattr(client, "inner", None) is not None:
        client = client.inner
    return client is None or type(client) is TwilioHttpClient


def _web_phone_rings(config: Mapping[str, Any], phone: str | None) -> bool:
    """Does the REST client answer a new call to this number itself (the web phone's bridge)?"""
    rings = getattr(config.get("TWILIO_HTTP_CLIENT"), "rings_web_phone", None)
    return bool(rings and rings(phone))


def _setting(config: Mapping[str, Any], name: str) -> int:
    """A callback setting from the app's (or the job's) config, which config/settings.py fills."""
    return int(config.get(name) or getattr(settings, name))


def _ahead_live(s: Session, cb: Callback) -> bool:
    """Is a caller still on hold in front of this callback in its line?"""
    same_lang = QueueEntry.language == cb.language if cb.language else QueueEntry.language.is_(None)
    return s.scalar(select(QueueEntry.id).where(
        QueueEntry.queue == cb.queue, QueueEntry.status == LegStatus.WAITING, same_lang,
        or_(QueueEntry.priority > cb.priority,
            and_(QueueEntry.priority == cb.priority, QueueEntry.enqueued_at < cb.enqueued_at)),
    ).limit(1)) is not None


def due_callbacks(s: Session, flow: Flow, now: datetime, retry_s: int,
                  offered: bool = False) -> list[Callback]:
    """The callbacks whose turn it is: the head of each line, its retry wait over, no live caller
    ahead. `offered`: those of offer-mode queues (callcenter/routing/offers.py rings an adviser
    first), else of the others. Nothing is changed."""
    if not is_open(flow.hours, now):
        return []
    pending = s.scalars(select(Callback).where(Callback.status == CallbackStatus.PENDING)
                        .order_by(Callback.priority.desc(), Callback.enqueued_at, Callback.id)).all()
    turn: list[Callback] = []
    heads: set[tuple[str, str | None]] = set()
    for cb in pending:
        queue = flow.queues.get(cb.queue)
        if (queue is not None and queue.mode == "offer") != offered:
            continue
        line = (cb.queue, cb.language)
        if line in heads:
            continue  # only the head of each line may go; the rest keep their order
        heads.add(line)
        if cb.last_attempt_at is not None and now - cb.last_attempt_at < timedelta(seconds=retry_s):
            continue
        if not _ahead_live(s, cb):
            turn.append(cb)
    return turn


def due(s: Session, flow: Flow, now: datetime, retry_s: int) -> list[tuple[Callback, User]]:
    """The callbacks whose turn it is, each with a free adviser (nothing is changed)."""
    picked: list[tuple[Callback, User]] = []
    taken: set[int] = set()
    for cb in due_callbacks(s, flow, now, retry_s):
        free = [a for a in serving(s, cb.queue, cb.language) if a.status == AdviserStatus.AVAILABLE
                and a.id not in taken]
        if free:
            picked.append((cb, free[0]))
            taken.add(free[0].id)
    return picked


def current_callback(s: Session, agent_id: int) -> Callback | None:
    """The callback this adviser is reserved for: being dialled, talking, or wrapping up."""
    # Polled by every desk: the (agent_id, wrapped_at) index finds the few unwrapped rows.
    return s.scalar(select(Callback).where(
        Callback.agent_id == agent_id, Callback.wrapped_at.is_(None),
        Callback.status.in_((CallbackStatus.DIALING, CallbackStatus.CONNECTED, CallbackStatus.COMPLETED)),
    ).order_by(Callback.id.desc()).limit(1))


def wrap_up(s: Session, cb: Callback, agent: User, notes: str, disposition: str, now: datetime) -> None:
    """After-call work of a callback done: notes and disposition stored, the adviser available.

    Done while still talking ends the conversation here; the desk then ends the call at Twilio
    (callcenter/desk/conversation_api.py), which hangs up the caller and the adviser's phone with it.
    Raises ValueError when the caller has not answered yet: there is nothing to wrap up.
    """
    if cb.status == CallbackStatus.DIALING:
        raise ValueError("the caller has not answered yet")
    if cb.status == CallbackStatus.CONNECTED:
        cb.status, cb.completed_at = CallbackStatus.COMPLETED, now
    cb.notes, cb.disposition, cb.wrapped_at = notes, disposition, now
    if agent.status in (AdviserStatus.AFTER_CALL, AdviserStatus.BUSY):
        set_status(s, agent, AdviserStatus.AVAILABLE, now)


def reserve(s: Session, cb: Callback, agent: User, now: datetime) -> bool:
    """Atomically: the adviser from available to busy, the callback from pending to dialing."""
    if s.execute(update(User).where(User.id == agent.id, User.status == AdviserStatus.AVAILABLE)
                 .values(status=AdviserStatus.BUSY, status_since=now)).rowcount != 1:
        return False
    won = s.execute(update(Callback).where(Callback.id == cb.id, Callback.status == CallbackStatus.PENDING)
                    .values(status=CallbackStatus.DIALING, agent_id=agent.id, attempts=Callback.attempts + 1,
                            last_attempt_at=now)).rowcount == 1
    if won:
        s.add(AgentStatusChange(user_id=agent.id, status=AdviserStatus.BUSY, at=now))
    else:  # someone else took the callback: the adviser is free again, as they were
        s.execute(update(User).where(User.id == agent.id).values(status=AdviserStatus.AVAILABLE))
    s.expire(agent)
    return won


# Twilio's refusals that say the number itself cannot be called: another try an hour later meets
# the same answer, so the callback fails at once and supervisors see it. 21211 "The 'To' number
# ... is not a valid phone number" (twilio.com/docs/errors/21211), 21217 "Phone number does not
# appear to be valid" (twilio.com/docs/api/errors/21217), 13224 "Twilio does not support calling
# this number or the number is invalid" (twilio.com/docs/api/errors/13224). Others (a rate limit,
# an account setting) may pass and are tried again as any failed try.
NUMBER_REFUSED = frozenset({21211, 21217, 13224})


def dial_due(config: Mapping[str, Any], flow: Flow, now: datetime) -> list[int]:
    """Reserve and dial every callback whose turn it is; returns the ids dialled. Nothing is
    reserved without a number to call from (TWILIO_CALLER_ID): they wait, attempts untouched."""
    problem = callback_caller_id_problem(config)
    if problem:
        log.warning("callbacks are not dialled: %s", problem)
        return []
    retry_s = _setting(config, "CALLBACK_RETRY_S")
    with db.SessionLocal.begin() as s:
        reserved = [cb.id for cb, agent in due(s, flow, now, retry_s) if reserve(s, cb, agent, now)]
    return [cb_id for cb_id in reserved if dial_reserved(config, cb_id, now)]


def dial_reserved(config: Mapping[str, Any], cb_id: int, now: datetime) -> bool:
    """Call the caller of a callback reserved for an adviser (`reserve`, committed); False when
    the try failed at once (it is then back in line, or failed for good)."""
    limit = _setting(config, "CALLBACK_MAX_ATTEMPTS")
    try:
        _dial(config, cb_id)
        return True
    except FictionalNumber as e:
        log.warning("%s", e)
        _attempt_failed(cb_id, now, 0, "fiction")
    except TwilioRestException as e:  # Twilio refused the call: its error code says why
        log.warning("Twilio refused to call back callback %s (error %s)", cb_id, e.code)
        _attempt_failed(cb_id, now, 0 if e.code in NUMBER_REFUSED else limit, f"twilio-{e.code}")
    except Exception:
        log.exception("calling back callback %s failed; it will be retried", cb_id)
        _attempt_failed(cb_id, now, limit, "unreachable")
    return False


def _dial(config: Mapping[str, Any], cb_id: int) -> None:
    with db.SessionLocal() as s:
        phone = s.get(Callback, cb_id).phone
    refused = CallbackPolicy.from_config(config).refusal(phone)
    if refused is not None:  # booked before the rules, or the rules changed: never rung
        raise ValueError(f"callback {cb_id} is not called back: {refused.name.lower()}")
    if is_fictional(phone) and reaches_twilio(config) and not _web_phone_rings(config, phone):
        raise FictionalNumber(f"callback {cb_id} is not called back: its number is in a range kept "
                              "for fiction (demo and test callers), which rings no one")
    helpline = str(config["TWILIO_CALLER_ID"])
    base = f"/ivr/queue/callback-call/{cb_id}"
    call = twilio_client(config).calls.create(
        to=phone, from_=helpline, url=public_url(config, f"{base}/answer"), method="POST",
        status_callback=public_url(config, f"{base}/status"), status_callback_method="POST",
        timeout=RING_TIMEOUT_S)
    with db.SessionLocal.begin() as s:
        s.execute(update(Callback).where(Callback.id == cb_id).values(outbound_sid=call.sid))


def _attempt_failed(cb_id: int, now: datetime, limit: int, reason: str) -> None:
    with db.SessionLocal.begin() as s:
        cb = s.get(Callback, cb_id)
        if cb is None or cb.status != CallbackStatus.DIALING:
            return
        note_failed_try(s, cb, reason, now)
        agent = s.get(User, cb.agent_id) if cb.agent_id else None
        if agent is not None and agent.status == AdviserStatus.BUSY:
            set_status(s, agent, AdviserStatus.AVAILABLE, now)
        cb.status = CallbackStatus.FAILED if cb.attempts >= limit else CallbackStatus.PENDING
        if cb.status == CallbackStatus.PENDING:
            cb.agent_id = None


@lru_cache(maxsize=1)
def _flow_file() -> Flow:
    return load_flow(settings.IVR_FILE)


def job_config() -> dict[str, Any]:
    """What the job needs, from the environment (a worker has no Flask app)."""
    return {
        "TWILIO_ACCOUNT_SID": settings.account_sid(),
        "TWILIO_AUTH_TOKEN": settings.auth_token(),
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "TWILIO_CALLER_ID": settings.TWILIO_CALLER_ID,
        "CALLBACK_COUNTRY_CODE": settings.CALLBACK_COUNTRY_CODE,
        "CALLBACK_ALLOWED_PREFIXES": settings.CALLBACK_ALLOWED_PREFIXES,
        "CALLBACK_MAX_ATTEMPTS": settings.CALLBACK_MAX_ATTEMPTS,
        "CALLBACK_RETRY_S": settings.CALLBACK_RETRY_S,
        **_demo_phone_client(),
    }


def _demo_phone_client() -> dict[str, Any]:
    """With DEMO_PHONE, the worker dials through the web phone's bridge as the app does (run.py
    installs it there), so a callback to a web-phone caller rings their page."""
    if not (settings.DEMO_PHONE and settings.REDIS_URL):
        return {}
    from callcenter.webphone.bridge import BridgeHttpClient

    return {"TWILIO_HTTP_CLIENT": BridgeHttpClient(settings.REDIS_URL)}


def dial_due_callbacks() -> list[int]:
    """RQ job: dial the callbacks whose turn it is. Safe to run twice (reservations are atomic)."""
    db.configure(settings.database_url())
    return dial_due(job_config(), _flow_file(), datetime.now(UTC))


def enqueue_dial_due_callbacks(connection: Any) -> Any:
    """Queue the job once (after an adviser becomes available, and on a timer)."""
    from rq import Queue

    return Queue(CALLBACK_QUEUE, connection=connection).enqueue(
        dial_due_callbacks, job_timeout=60, result_ttl=300, failure_ttl=7 * 24 * 3600,
        description="dial due callbacks")


def register_cron(scheduler: Any) -> None:
    """Run the job every TICK_S seconds from an rq.cron.CronScheduler (RQ >= 2.5)."""
    scheduler.register(dial_due_callbacks, queue_name=CALLBACK_QUEUE, interval=TICK_S, job_timeout=60,
                       result_ttl=300, failure_ttl=7 * 24 * 3600)
