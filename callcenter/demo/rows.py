"""Rows for `demo.seed_demo`: one planned call becomes its call, legs, events, captures, recordings.

Only finished calls reach here (seed.py leaves out what would still be going on at `now`), so
every call is completed, every leg has ended or been left, every callback is settled, and every
adviser's day ends signed off.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from callcenter.demo.people import HELPLINE
from db.models import Call, Callback, CallEvent, Capture, QueueEntry, Recording
from db.states import (
    AdviserStatus,
    CallbackStatus,
    CallOutcome,
    CallStatus,
    CaptureStatus,
    LegOutcome,
    LegStatus,
    RecordingStatus,
)

STEP_S = 20  # seconds a caller spends on each IVR node in the demo
VOICEMAIL_S = 45  # a message left after the wait
SHIFT_GAP_S = 3 * 3600  # an adviser idle this long has ended a shift (and signed off)
SIGN_OFF_S = 600  # from the last wrap-up of a shift to signing off


def _leg_row(leg: dict[str, Any]) -> dict[str, Any]:
    """The leg as the database holds it once it is over: left, or answered and ended."""
    row = {k: leg.get(k) for k in ("id", "call_id", "queue", "language", "intent", "priority",
                                   "enqueued_at", "agent_id")}
    row.update(status=LegStatus.LEFT, outcome=leg["outcome"], answered_at=None, left_at=leg.get("left_at"),
               ended_at=None, wrapped_at=None,
               transferred_from_id=leg["from"]["id"] if leg.get("from") else None)
    if leg.get("left_at"):
        row["agent_id"] = None
    else:
        row.update(status=LegStatus.ENDED, answered_at=leg["answered_at"], ended_at=leg["ended_at"],
                   wrapped_at=leg["wrapped_at"])
    return row


def finished_at(leg: dict[str, Any]) -> datetime:
    """When everything a leg set off is over: the wrap-up, the message left, the callback."""
    if not leg.get("left_at"):
        return leg["wrapped_at"]
    end = leg["left_at"] + timedelta(seconds=VOICEMAIL_S if leg["outcome"] == LegOutcome.VOICEMAIL else 0)
    callback = leg.get("callback")
    if callback:
        end = max(end, callback["wrapped_at"] or callback["last_attempt_at"])
    return end


def plan_callback(rng: random.Random, leg: dict[str, Any]) -> dict[str, Any]:
    """How the callback a caller asked for when leaving this leg went: talked through and wrapped
    up (most), or failed after three tries."""
    row = {"call_id": leg["call_id"], "queue_entry_id": leg["id"], "queue": leg["queue"],
           "requested_at": leg["left_at"], "enqueued_at": leg["enqueued_at"], "language": leg["language"],
           "connected_at": None, "completed_at": None, "wrapped_at": None, "agent_id": None}
    tried = leg["left_at"] + timedelta(seconds=rng.uniform(300, 5400))
    if rng.random() < 0.85:
        completed = tried + timedelta(seconds=rng.uniform(120, 480))
        row.update(status=CallbackStatus.COMPLETED, attempts=1, last_attempt_at=tried, connected_at=tried,
                   completed_at=completed, wrapped_at=completed + timedelta(seconds=rng.uniform(20, 80)))
    else:
        row.update(status=CallbackStatus.FAILED, attempts=3, last_attempt_at=tried)
    return row


def call_rows(rng: random.Random, calls: list[dict[str, Any]], legs_by_call: dict[int, list[dict[str, Any]]],
              callers: list[int], phones: list[str],
              pools: dict[str, list[int]] | None = None) -> dict[type, list[dict[str, Any]]]:
    """The rows of finished calls; callers[n] and phones[n] are the n-th demo caller's id and number."""
    out: dict[type, list[dict[str, Any]]] = {Call: [], QueueEntry: [], Callback: [], CallEvent: [],
                                             Capture: [], Recording: []}
    for c in calls:
        cid, started, path = c["id"], c["started_at"], c["path"]
        planned = legs_by_call.get(cid, [])
        ended, outcome = c.get("ended_at"), c.get("outcome")
        if c["queue"] and planned:
            last = planned[-1]
            ended = last.get("left_at") or last["ended_at"]
            if last["outcome"] == LegOutcome.VOICEMAIL:
                ended += timedelta(seconds=VOICEMAIL_S)
            outcome = last["outcome"]
        out[Call].append({
            "id": cid, "sid": f"CA{cid:032x}", "caller_id": callers[c["caller"]], "to_number": HELPLINE,
            "direction": "inbound", "language": c["language"], "slow_speech": False,
            "status": CallStatus.COMPLETED, "node": path[-1], "outcome": outcome, "started_at": started,
            "ended_at": ended, "duration_s": int((ended - started).total_seconds()),
            "adviser_requested_at": started + timedelta(seconds=STEP_S * len(path)) if c["queue"] else None,
            "queue": c["queue"], "reason": c["reason"]})
        out[QueueEntry].extend(_leg_row(leg) for leg in planned)
        _events(out[CallEvent], c, ended, outcome)
        _captures(rng, out, c)
        for leg in planned:
            if leg.get("callback"):
                row = dict(leg["callback"], phone=phones[c["caller"]])
                if row["status"] == CallbackStatus.COMPLETED and pools:
                    row["agent_id"] = rng.choice(pools[leg["queue"]])
                out[Callback].append(row)
        if outcome == CallOutcome.VOICEMAIL:
            out[Recording].append({"sid": f"RE{cid:030x}01", "call_id": cid, "kind": "voicemail",
                                   "language": c["language"], "duration_s": 30,
                                   "status": RecordingStatus.TRANSCRIBED,
                                   "text": c["message"], "confidence": 0.8,
                                   "intent": None, "created_at": ended, "finished_at": ended})
    return out


def _events(rows: list[dict[str, Any]], c: dict[str, Any], ended: datetime, outcome: str | None) -> None:
    cid, t = c["id"], c["started_at"]
    rows.append({"call_id": cid, "at": t, "kind": "start", "node": None, "detail": None})
    for k, node in enumerate(c["path"]):
        at = t + timedelta(seconds=STEP_S * (k + 1))
        if c["reason"] and k == len(c["path"]) - 1:  # the caller's words routed them here
            rows.append({"call_id": cid, "at": at, "kind": "intent", "node": c["path"][-2],
                         "detail": c["reason"]})
        rows.append({"call_id": cid, "at": at, "kind": "enter", "node": node, "detail": None})
    last = c["path"][-1]
    if c["queue"]:
        rows.append({"call_id": cid, "at": at, "kind": "adviser", "node": last, "detail": c["queue"]})
        if outcome in (CallOutcome.CLOSED, CallOutcome.VOICEMAIL) and not c["open"]:
            rows.append({"call_id": cid, "at": at, "kind": "closed", "node": None, "detail": None})
    elif outcome == CallOutcome.SELF_SERVICE:
        rows.append({"call_id": cid, "at": at, "kind": "info", "node": last, "detail": None})
    rows.append({"call_id": cid, "at": ended, "kind": "status", "node": None, "detail": "completed"})


def _captures(rng: random.Random, out: dict[type, list[dict[str, Any]]], c: dict[str, Any]) -> None:
    cid, at = c["id"], c["started_at"] + timedelta(seconds=STEP_S * len(c["path"]))
    if "benefit_id" in c["path"]:
        r = rng.random()
        status = (CaptureStatus.CAPTURED if r < 0.85
                  else CaptureStatus.FAILED if r < 0.95 else CaptureStatus.SKIPPED)
        got = status == CaptureStatus.CAPTURED
        out[Capture].append({"call_id": cid, "field": "id_number", "method": "keypad", "status": status,
                             "value": f"{rng.randrange(10**7, 10**8)}" if got else None,
                             "attempts": 1 if got else 3,
                             "created_at": at, "updated_at": at})
    if c["reason"]:  # said in the caller's words, heard, and routed by its intent
        out[Capture].append({"call_id": cid, "field": "reason", "method": "speech",
                             "status": CaptureStatus.CAPTURED,
                             "value": None, "attempts": 1, "created_at": at, "updated_at": at})
        out[Recording].append({
            "sid": f"RE{cid:030x}02", "call_id": cid, "kind": "reason", "language": c["language"],
            "duration_s": 6, "status": RecordingStatus.TRANSCRIBED, "text": c["said"],
            "confidence": round(rng.uniform(0.8, 0.98), 2), "intent": c["reason"],
            "created_at": at, "finished_at": at})


def leg_rows(legs: list[dict[str, Any]], pools: dict[str, list[int]],
             now: datetime) -> tuple[list[dict[str, Any]], dict[int, tuple[str, datetime]]]:
    """Adviser status changes from their handled legs, and each adviser's status at the end: signed
    off after each shift, and at `now` at the latest (the demo day is over)."""
    by_agent: dict[int, list[dict[str, Any]]] = {a: [] for pool in pools.values() for a in pool}
    for leg in legs:
        if leg.get("answered_at"):
            by_agent[leg["agent_id"]].append(leg)
    rows: list[dict[str, Any]] = []
    current: dict[int, tuple[str, datetime]] = {}
    for agent, handled in by_agent.items():
        handled.sort(key=lambda leg: leg["answered_at"])
        changes: list[tuple[datetime, str]] = []
        prev_wrap: datetime | None = None
        for leg in handled:
            start = leg["answered_at"]
            if prev_wrap is None or (start - prev_wrap).total_seconds() > SHIFT_GAP_S:
                if prev_wrap is not None:  # end of a shift: logged off, so not idle
                    changes.append((prev_wrap + timedelta(seconds=SIGN_OFF_S), AdviserStatus.OFFLINE))
                changes.append((max(start - timedelta(minutes=8), prev_wrap or start),
                                AdviserStatus.AVAILABLE))
            changes += [(start, AdviserStatus.BUSY), (leg["ended_at"], AdviserStatus.AFTER_CALL),
                        (leg["wrapped_at"], AdviserStatus.AVAILABLE)]
            prev_wrap = leg["wrapped_at"]
        if prev_wrap is not None:
            changes.append((min(prev_wrap + timedelta(seconds=SIGN_OFF_S), now), AdviserStatus.OFFLINE))
            current[agent] = changes[-1][::-1]
        rows += [{"user_id": agent, "status": st, "at": at} for at, st in changes]
    return rows, current
