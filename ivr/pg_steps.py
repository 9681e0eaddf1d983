"""The hot path's writes on PostgreSQL: each webhook's changes in one statement, one round trip.

On SQLite a statement costs a function call, so ivr/callstate.py and ivr/calls.py write with a
few Core statements in a transaction. On PostgreSQL every statement is a round trip to the
server, which on a busy 2-core machine costs more than all of Flask; so each write below is one
statement whose parts (data-modifying CTEs) succeed or fail together, run on the step engine in
autocommit mode (db.session.step_engine) through the driver's cursor (db/direct.py). A call's
steps go in as parallel arrays.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, text

from db.direct import Connection, Direct

if TYPE_CHECKING:
    from ivr.callstate import CallState

_EVENTS = """
    INSERT INTO call_events (call_id, at, kind, node, detail)
    SELECT {call}.id, e.at, e.kind, e.node, e.detail FROM {call},
           unnest(CAST(:at AS timestamptz[]), CAST(:kind AS varchar[]), CAST(:node AS varchar[]),
                  CAST(:detail AS varchar[])) AS e(at, kind, node, detail)"""

_MOVE = Direct(text(f"""
    WITH moved AS (
        UPDATE calls SET language = :new_language, slow_speech = :new_slow,
                         node = COALESCE(CAST(:new_node AS varchar), node)
        WHERE sid = :call_sid RETURNING id, caller_id),
    remembered AS (
        UPDATE callers SET language = :new_language, slow_speech = :new_slow, updated_at = :now
        WHERE :remember AND id = (SELECT caller_id FROM moved)),
    logged AS ({_EVENTS.format(call="moved")})
    SELECT id FROM moved""").columns(id=Integer))

_NEW_CALL = Direct(text(f"""
    WITH known AS (SELECT id FROM callers WHERE phone = :phone AND :phone_ok),
    added AS (
        INSERT INTO callers (phone, language, slow_speech, created_at, updated_at)
        SELECT :phone, :new_language, :new_slow, :now, :now
        WHERE :phone_ok AND NOT EXISTS (SELECT 1 FROM known)
        ON CONFLICT (phone) DO NOTHING RETURNING id),
    started AS (
        INSERT INTO calls (sid, caller_id, to_number, direction, language, slow_speech, status, node,
                           started_at)
        VALUES (:call_sid, (SELECT id FROM known UNION ALL SELECT id FROM added LIMIT 1), :to_number,
                :direction, :new_language, :new_slow, 'in-progress', :new_node, :now)
        ON CONFLICT (sid) DO NOTHING RETURNING id),
    logged AS ({_EVENTS.format(call="started")})
    SELECT id FROM started""").columns(id=Integer))

_CLOSE = Direct(text(f"""
    WITH first AS (
        INSERT INTO status_callbacks (call_sid, status, received_at) VALUES (:call_sid, :status, :now)
        ON CONFLICT DO NOTHING RETURNING id),
    closed AS (
        UPDATE calls SET status = :new_status, ended_at = :new_ended, duration_s = :new_duration,
                         outcome = :new_outcome
        WHERE id = :call_id AND EXISTS (SELECT 1 FROM first) RETURNING id),
    logged AS ({_EVENTS.format(call="closed")})
    SELECT id FROM closed""").columns(id=Integer))


def _columns(events: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [e[name] for e in events] for name in ("at", "kind", "node", "detail")}


def move(conn: Connection, moved: dict[str, Any], events: list[dict[str, Any]], remember: bool,
         now: datetime) -> int | None:
    """The call's new node and language, its steps, and the caller's choices if they changed."""
    return conn.scalar(_MOVE, {**moved, **_columns(events), "remember": remember, "now": now})


def new_call(conn: Connection, state: CallState, now: datetime) -> int | None:
    """The call (and its caller, the first time the number calls) with its first steps; None when
    the same first webhook stored it already. The caller is looked up again in the statement,
    where it cannot go stale."""
    new = state.new or {}
    params = {"call_sid": state.sid, "to_number": new["to"], "direction": new["direction"],
              "new_language": state.language, "new_slow": state.slow_speech, "new_node": state.node,
              "phone": new["phone"] or "", "phone_ok": new["phone"] is not None, "now": now}
    return conn.scalar(_NEW_CALL, {**params, **_columns(state.events)})


def close(conn: Connection, values: dict[str, Any], now: datetime) -> bool:
    """Apply a status callback once: False when this (call, status) was applied already."""
    status = values["status"]
    events = [{"at": now, "kind": "status", "node": None, "detail": status}]
    return conn.first(_CLOSE, {**values, **_columns(events), "now": now}) is not None
