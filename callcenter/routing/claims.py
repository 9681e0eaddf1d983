"""Who gets which caller: the waiting line, atomic claims, putting the caller through, wrap-up.

Order is ours, not Twilio's: priority (higher first), then time of joining. A claim is one
conditional UPDATE ... WHERE status = 'waiting' whose row count says who won, so two advisers
clicking at once never get the same caller, on SQLite (writes serialise) and on PostgreSQL
(the row lock makes the loser re-check the WHERE and update nothing). On PostgreSQL the next
caller is picked with FOR UPDATE SKIP LOCKED, so twenty advisers do not all queue up behind
the same row.

REST calls (`connect`, the transfer's move) happen after the claim is committed: Twilio fetches
our TwiML straight away and must find the leg as committed. How the caller reaches the adviser
(a REST redirect of the caller's own call to a <Dial>, not <Dial><Queue>) is explained in
ivr/queue/connect.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from config.settings import ConfigError
from db import session as db
from db.advisers import set_status
from db.models import Call, CallEvent, QueueEntry, User
from db.states import AdviserStatus, LegOutcome, LegStatus
from ivr.telephony.identity import client_identity
from ivr.telephony.rest import public_url, twilio_client

log = logging.getLogger(__name__)
CANDIDATES = 20  # SQLite: how many heads of the line one claim tries before looking again


class ConnectError(RuntimeError):
    """Twilio refused or could not be reached; the caller is back in line, place kept."""


class CallerGone(RuntimeError):
    """The caller's call had already ended when an adviser answered it; the leg is closed."""


# Twilio's answers to a redirect of a call that is over: 21220 "Invalid call state" (not in
# progress), 20404 "not found".
CALL_ENDED = {21220, 20404}


def _line(queues: list[str], languages: list[str] | None):
    where = [QueueEntry.status == LegStatus.WAITING, QueueEntry.queue.in_(queues)]
    if languages:
        where.append(or_(QueueEntry.language.in_(languages), QueueEntry.language.is_(None)))
    return where


ORDER = (QueueEntry.priority.desc(), QueueEntry.enqueued_at, QueueEntry.id)


def waiting_entries(s: Session, queues: list[str], languages: list[str] | None = None) -> list[QueueEntry]:
    """Callers waiting in these queues (and languages), the next one served first."""
    if not queues:
        return []
    return list(s.scalars(select(QueueEntry).where(*_line(queues, languages)).order_by(*ORDER)).all())


def _take(s: Session, entry_id: int, agent: User, now: datetime) -> QueueEntry | None:
    won = s.execute(
        update(QueueEntry).where(QueueEntry.id == entry_id, QueueEntry.status == LegStatus.WAITING)
        .values(status=LegStatus.CONNECTING, agent_id=agent.id, answered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        return None
    set_status(s, agent, AdviserStatus.BUSY, now)
    return s.scalars(select(QueueEntry).where(QueueEntry.id == entry_id)
                     .execution_options(populate_existing=True)).one()


def claim(s: Session, agent: User, entry_id: int, now: datetime) -> QueueEntry | None:
    """Claim this waiting caller for `agent`; None if someone else got them or they left.

    Only a caller in one of the adviser's queues (and languages) can be claimed. The caller
    commits; `connect` comes after the commit.
    """
    entry = s.get(QueueEntry, entry_id)
    if entry is None or entry.queue not in (agent.queues or []):
        return None
    if agent.languages and entry.language and entry.language not in agent.languages:
        return None
    return _take(s, entry_id, agent, now)


def claim_next(s: Session, agent: User, now: datetime, queues: list[str] | None = None) -> QueueEntry | None:
    """Claim the next caller this adviser serves (priority, then arrival), of `queues` when given
    (some of theirs); None if nobody waits."""
    queues = list(agent.queues or []) if queues is None else queues
    if not queues:
        return None
    where = _line(queues, list(agent.languages or []) or None)
    pick = select(QueueEntry.id).where(*where).order_by(*ORDER)
    if s.get_bind().dialect.name == "postgresql":
        while (entry_id := s.scalar(pick.limit(1).with_for_update(skip_locked=True))) is not None:
            entry = _take(s, entry_id, agent, now)
            if entry is not None:
                return entry
        return None
    while ids := s.scalars(pick.limit(CANDIDATES)).all():
        for entry_id in ids:
            entry = _take(s, entry_id, agent, now)
            if entry is not None:
                return entry
    return None


def _caller_sid(entry: QueueEntry) -> str:
    with db.SessionLocal() as s:
        return s.scalar(select(Call.sid).where(Call.id == entry.call_id)) or ""


def _put_back(entry_id: int, agent_id: int, now: datetime) -> None:
    """The redirect failed: the caller is still on hold in Twilio's queue; give them their place back."""
    with db.SessionLocal.begin() as s:
        s.execute(update(QueueEntry)
                  .where(QueueEntry.id == entry_id, QueueEntry.status == LegStatus.CONNECTING,
                         QueueEntry.agent_id == agent_id)
                  .values(status=LegStatus.WAITING, agent_id=None, answered_at=None))
        agent = s.get(User, agent_id)
        if agent is not None and agent.status == AdviserStatus.BUSY:
            set_status(s, agent, AdviserStatus.AVAILABLE, now)


def connect(config: Mapping[str, Any], entry: QueueEntry, agent: User) -> None:
    """Redirect the claimed caller's live call to TwiML that dials `agent` (after commit).

    Raises CallerGone when Twilio says the call has already ended (the leg is closed as an
    abandon), ConnectError (the caller is put back in line first) when Twilio refuses or cannot
    be reached, ConfigError when Jobline lacks the settings to call Twilio at all.
    """
    try:
        url = public_url(config, f"/ivr/queue/connect/{entry.id}")
        twilio_client(config).calls(_caller_sid(entry)).update(url=url, method="POST")
    except Exception as e:
        now = datetime.now(UTC)
        if isinstance(e, TwilioRestException) and e.code in CALL_ENDED:
            _caller_gone(entry.id, agent.id, now, e.code)
            raise CallerGone(f"queue leg {entry.id}: Twilio says the call has ended ({e.code})") from e
        _put_back(entry.id, agent.id, now)
        if isinstance(e, ConfigError):
            raise
        raise ConnectError(f"Twilio could not put queue leg {entry.id} through: "
                           f"{type(e).__name__}; the caller is back in line") from e


def _caller_gone(entry_id: int, agent_id: int, now: datetime, code: int) -> None:
    """The caller hung up and Twilio's word of it never reached us: the leg is an abandon, left
    when the hold loop last served them (ivr/queue/lost_calls.py), and the adviser is free."""
    with db.SessionLocal.begin() as s:
        entry = s.get(QueueEntry, entry_id)
        if entry is None or entry.status != LegStatus.CONNECTING or entry.agent_id != agent_id:
            return
        left = entry.seen_at or now
        entry.status, entry.outcome, entry.left_at = LegStatus.LEFT, LegOutcome.ABANDONED, left
        entry.agent_id, entry.answered_at = None, None
        s.add(CallEvent(call_id=entry.call_id, at=now, kind="queue_lost", node=entry.queue,
                        detail=f"Twilio: the call had ended (error {code})"))
        agent = s.get(User, agent_id)
        if agent is not None and agent.status == AdviserStatus.BUSY:
            set_status(s, agent, AdviserStatus.AVAILABLE, now)


def end_conversation(s: Session, entry: QueueEntry, now: datetime) -> None:
    """The adviser and caller stopped talking: after-call work starts. Harmless if repeated."""
    if entry.status not in (LegStatus.CONNECTING, LegStatus.CONNECTED):
        return
    entry.status, entry.ended_at = LegStatus.ENDED, now
    entry.outcome = entry.outcome or LegOutcome.ANSWERED
    if entry.agent is not None:
        set_status(s, entry.agent, AdviserStatus.AFTER_CALL, now)


def _flow() -> Any:
    if not has_app_context():
        raise RuntimeError("routing needs the app's flow (dispositions, queues): call it in app context")
    return current_app.extensions["jobline.flow"]


def wrap_up(s: Session, entry: QueueEntry, agent: User, notes: str | None, disposition: str,
            now: datetime) -> None:
    """After-call work done: notes and disposition (one of the flow's dispositions) stored.

    Raises ValueError for an unknown disposition, PermissionError when the leg is another
    adviser's. The adviser moves from after_call to available.
    """
    if disposition not in _flow().dispositions:
        raise ValueError(f"unknown disposition {disposition!r} "
                         f"(use one of {', '.join(_flow().dispositions)})")
    if entry.agent_id != agent.id:
        raise PermissionError(f"queue leg {entry.id} is not this adviser's call")
    end_conversation(s, entry, now)
    entry.notes, entry.disposition, entry.wrapped_at = notes, disposition, now
    if agent.status == AdviserStatus.AFTER_CALL:
        set_status(s, agent, AdviserStatus.AVAILABLE, now)


def transfer(s: Session, entry: QueueEntry, agent: User, queue: str, now: datetime,
             config: Mapping[str, Any] | None = None, note: str | None = None) -> QueueEntry:
    """Move the caller to another queue: this leg ends 'transferred', a new leg waits there,
    carrying the adviser's `note` for whoever answers it next.

    The new leg keeps the call (and so its captured details), joins at the back of the target
    queue with that queue's priority. Once the session commits, the caller's call is redirected
    through REST to /ivr/queue/enqueue/<new leg>; if that fails the caller stays with the
    adviser (logged) and the new leg closes when the call ends.
    """
    flow = _flow()
    if queue not in flow.queues:
        raise ValueError(f"unknown queue {queue!r} (use one of {', '.join(flow.queues)})")
    if entry.agent_id != agent.id:
        raise PermissionError(f"queue leg {entry.id} is not this adviser's call")
    entry.status, entry.ended_at, entry.outcome = LegStatus.ENDED, now, LegOutcome.TRANSFERRED
    set_status(s, agent, AdviserStatus.AFTER_CALL, now)
    new = QueueEntry(call_id=entry.call_id, queue=queue, language=entry.language, intent=entry.intent,
                     priority=flow.queues[queue].priority, status=LegStatus.WAITING, enqueued_at=now,
                     transferred_from_id=entry.id, transfer_note=note or None)
    s.add(new)
    s.flush()
    settings = config if config is not None else current_app.config
    new_id = new.id

    def move_after_commit(_session: Session) -> None:
        try:
            move_caller(settings, new_id)
        except Exception:
            log.exception("transfer of call %s to queue leg %s failed", entry.call_id, new_id)

    event.listen(s, "after_commit", move_after_commit, once=True)
    return new


def move_caller(config: Mapping[str, Any], entry_id: int) -> None:
    """Redirect a caller to the TwiML that puts them in their (new) leg's queue."""
    with db.SessionLocal() as s:
        sid = s.scalar(select(Call.sid).join(QueueEntry, QueueEntry.call_id == Call.id)
                       .where(QueueEntry.id == entry_id))
    twilio_client(config).calls(sid).update(url=public_url(config, f"/ivr/queue/enqueue/{entry_id}"),
                                            method="POST")


# What the browser phone needs from Twilio's console (API keys, TwiML apps), in the order to set.
BROWSER_PHONE_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_TWIML_APP_SID")


def browser_phone_missing(config: Mapping[str, Any]) -> list[str]:
    """The settings the browser phone still needs (empty when it is set up)."""
    return [name for name in BROWSER_PHONE_SETTINGS if not config.get(name)]


def voice_token(config: Mapping[str, Any], agent: User, ttl_s: int = 3600) -> str:
    """A Twilio Voice SDK access token letting the adviser's browser take <Client> calls.

    Needs TWILIO_ACCOUNT_SID, TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID in the
    app config; ConfigError names the first one missing.
    """
    from twilio.jwt.access_token import AccessToken
    from twilio.jwt.access_token.grants import VoiceGrant

    missing = browser_phone_missing(config)
    if missing:
        raise ConfigError(f"{missing[0]} is not set: the browser phone needs it (Twilio console, "
                          "API keys and TwiML apps)")
    token = AccessToken(config["TWILIO_ACCOUNT_SID"], config["TWILIO_API_KEY"],
                        config["TWILIO_API_SECRET"], identity=client_identity(agent.id), ttl=ttl_s)
    token.add_grant(VoiceGrant(outgoing_application_sid=config["TWILIO_TWIML_APP_SID"],
                               incoming_allow=True))
    return token.to_jwt()
