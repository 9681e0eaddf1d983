"""A call's place in the menus, read and written without the ORM: the webhooks' hot path.

Most webhooks of a call only move it through menus. What they need (language, slower speech)
travels in the action URLs the IVR hands to Twilio, which signs them, so the caller cannot
alter it; what they change (the node, the language chosen, the steps taken) is written with
two or three Core statements on the step engine's `Connection` (db.session.step_engine), as the
hold loop does (ivr/queue/hold.py), and committed together. A step that needs more (a queue, a
capture, a recording) asks the turn for `t.call`, which loads the ORM Call and applies this
state to it (`calls.materialize`).

On PostgreSQL the step engine's commits do not wait for the disk flush (synchronous_commit
off): a step is durable within a fraction of a second, and only a crash of the database server
itself could lose the last few menu steps, never corrupt them. Captures, recordings, queue
claims and callbacks go through the ORM and commit synchronously.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, Insert, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.models import Call, Caller, CallEvent, utcnow
from ivr.telephony.numbers import caller_number

NO_LANGUAGE = "-"  # in an action URL: the caller has not chosen a language yet

_calls, _callers, _events = Call.__table__, Caller.__table__, CallEvent.__table__


def number(form: Mapping[str, str], field_name: str) -> str | None:
    """A phone number from the webhook, or None when it is withheld or not E.164 ("anonymous",
    "+266696687"): such numbers are neither stored on the call nor remembered, so withheld
    callers never share one caller row (ivr/telephony/numbers.py)."""
    return caller_number(form.get(field_name))


@dataclass
class CallState:
    """What a menu step knows of its call and what it changed; written by `save`."""

    sid: str
    language: str | None
    slow_speech: bool = False
    node: str | None = None
    new: dict[str, Any] | None = None  # the first webhook: the call (and caller) to insert
    events: list[dict[str, Any]] = field(default_factory=list)
    remember: dict[str, Any] = field(default_factory=dict)  # the caller's choices, for next time

    def add_event(self, kind: str, node: str | None, detail: str | None) -> None:
        self.events.append({"at": utcnow(), "kind": kind, "node": node, "detail": detail})


def bound(table: Table, columns: tuple[str, ...]) -> dict[str, BindParameter[Any]]:
    """VALUES for these columns, each a parameter of the column's own type, named after it: a
    statement built once, whose values come at execute time."""
    return {c: bindparam(c, type_=table.c[c].type) for c in columns}


@functools.cache
def ignoring_duplicates(dialect: str, table: Table, columns: tuple[str, ...],
                        returning: str | None = None) -> Insert:
    """INSERT of these columns ... ON CONFLICT DO NOTHING in the given dialect, built once."""
    construct = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = construct(table).values(bound(table, columns)).on_conflict_do_nothing()
    return statement.returning(table.c[returning]) if returning else statement


# Built once: a statement object keeps its cache key, so each webhook skips rebuilding and
# recompiling it.
_STATE_BY_SID = select(_calls.c.language, _calls.c.slow_speech, _calls.c.node).where(
    _calls.c.sid == bindparam("sid"))
_FIRST_LOOK = select(
    select(_calls.c.id).where(_calls.c.sid == bindparam("sid")).scalar_subquery().label("call_id"),
    select(_callers.c.id).where(_callers.c.phone == bindparam("phone")).scalar_subquery()
    .label("caller_id"),
    select(_callers.c.language).where(_callers.c.phone == bindparam("phone")).scalar_subquery()
    .label("language"),
    select(_callers.c.slow_speech).where(_callers.c.phone == bindparam("phone")).scalar_subquery()
    .label("slow_speech"),
)
_MOVE = (update(_calls).where(_calls.c.sid == bindparam("call_sid"))
         .values(language=bindparam("new_language"), slow_speech=bindparam("new_slow"),
                 node=func.coalesce(bindparam("new_node", type_=_calls.c.node.type), _calls.c.node))
         .returning(_calls.c.id))
ADD_EVENTS = insert(_events).values(bound(_events, ("call_id", "at", "kind", "node", "detail")))
_CALLER_ID = select(_callers.c.id).where(_callers.c.phone == bindparam("phone"))
_REMEMBER = (
    update(_callers)
    .where(_callers.c.id == select(_calls.c.caller_id).where(_calls.c.id == bindparam("call_id"))
           .scalar_subquery())
    .values(language=bindparam("new_language"), slow_speech=bindparam("new_slow"),
            updated_at=bindparam("now", type_=_callers.c.updated_at.type)))
_CALLER_COLUMNS = ("phone", "language", "slow_speech", "created_at", "updated_at")
_CALL_COLUMNS = ("sid", "caller_id", "to_number", "direction", "language", "slow_speech", "status", "node",
                 "started_at")


def load(conn: Connection, languages: set[str], form: Mapping[str, str], args: Mapping[str, str],
         sid: str, first: bool) -> CallState | None:
    """The call's state from the signed URL, else from the database; None: use the ORM path
    (a call already stored when its first webhook comes again, or one never seen)."""
    lang = args.get("lang")
    if not first and (lang in languages or lang == NO_LANGUAGE):
        return CallState(sid, None if lang == NO_LANGUAGE else lang, args.get("slow") == "1")
    if first:
        phone = number(form, "From")
        row = conn.execute(_FIRST_LOOK, {"sid": sid, "phone": phone or ""}).one()
        if row.call_id is not None:
            return None
        new = {"phone": phone, "to": number(form, "To"),
               "direction": (form.get("Direction") or "inbound")[:16], "caller_id": row.caller_id}
        return CallState(sid, row.language, bool(row.slow_speech), new=new)
    row = conn.execute(_STATE_BY_SID, {"sid": sid}).first()
    if row is None:
        return None
    return CallState(sid, row.language, bool(row.slow_speech), node=row.node)


def save(conn: Connection, state: CallState) -> None:
    """Write what the step changed: the call's node and language, its steps, the caller's
    choices; committed here, together."""
    now = utcnow()
    if state.new is not None:
        state.events.insert(0, {"at": now, "kind": "start", "node": None, "detail": None})
        if _insert_call(conn, state, now) is not None:
            conn.commit()
            return
        # The same first webhook twice at once: the other one stored the call; move it on.
    call_id = conn.execute(_MOVE, {"call_sid": state.sid, "new_language": state.language,
                                   "new_slow": state.slow_speech, "new_node": state.node}).scalar()
    if call_id is None:
        raise LookupError("the call to save is not stored")
    if state.events:
        conn.execute(ADD_EVENTS, [{"call_id": call_id, **e} for e in state.events])
    if state.remember:
        conn.execute(_REMEMBER, {"call_id": call_id, "now": now, "new_language": state.language,
                                 "new_slow": state.slow_speech})
    conn.commit()


def _insert_call(conn: Connection, state: CallState, now: datetime) -> int | None:
    """The first webhook's call (and its caller, the number's first time) with its first steps;
    None when the same first webhook stored it already."""
    new = state.new or {}
    dialect = conn.dialect.name
    phone, caller_id = new["phone"], new["caller_id"]
    if phone is not None and caller_id is None:  # the number's first call
        add_caller = ignoring_duplicates(dialect, _callers, _CALLER_COLUMNS, returning="id")
        caller_id = conn.execute(add_caller, {
            "phone": phone, "language": state.language, "slow_speech": state.slow_speech,
            "created_at": now, "updated_at": now}).scalar()
        if caller_id is None:  # its first two calls at once: the other one added it
            caller_id = conn.execute(_CALLER_ID, {"phone": phone}).scalar()
    values = {"sid": state.sid, "caller_id": caller_id, "to_number": new["to"], "direction": new["direction"],
              "language": state.language, "slow_speech": state.slow_speech, "status": "in-progress",
              "node": state.node, "started_at": now}
    add_call = ignoring_duplicates(dialect, _calls, _CALL_COLUMNS, returning="id")
    call_id = conn.execute(add_call, values).scalar()
    if call_id is not None and state.events:
        conn.execute(ADD_EVENTS, [{"call_id": call_id, **e} for e in state.events])
    return call_id
