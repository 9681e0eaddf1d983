"""Rows for `demo.seed_demo`: one planned call becomes its call, legs, events, captures, recordings.

Anything that has not happened yet at `now` is left live: a caller still in the IVR, a leg still
waiting or talking, an adviser in after-call work, so the wallboard has a floor to show.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

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
REASON_TEXT = {
    "payment_date": "when is my payment", "claim_status": "about my claim", "new_claim": "new claim",
    "registration": "register as jobseeker", "vacancies": "job vacancies", "other": "a question",
    "post_vacancy": "post a vacancy", "hiring_help": "help with hiring",
}


def phone_of(caller_id: int) -> str:
    return f"+4470{caller_id:09d}"  # demo numbers: a range no real adviser dials


def _live_leg(leg: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The leg as the database would hold it at `now`, or None when it has not started."""
    if leg["enqueued_at"] > now:
        return None
    row = {k: leg.get(k) for k in ("id", "call_id", "queue", "language", "intent", "priority",
                                   "enqueued_at", "agent_id")}
    row.update(status=LegStatus.WAITING, outcome=None, answered_at=None, left_at=None, ended_at=None,
               wrapped_at=None, transferred_from_id=leg["from"]["id"] if leg.get("from") else None)
    if leg.get("left_at"):
        row["agent_id"] = None
        if leg["left_at"] <= now:
            row.update(status=LegStatus.LEFT, outcome=leg["outcome"], left_at=leg["left_at"])
        return row
    if leg["answered_at"] > now:
        row["agent_id"] = None
        return row
    row.update(status=LegStatus.CONNECTED, answered_at=leg["answered_at"])
    if leg["ended_at"] <= now:
        row.update(status=LegStatus.ENDED, outcome=leg["outcome"], ended_at=leg["ended_at"])
        if leg["wrapped_at"] <= now:
            row["wrapped_at"] = leg["wrapped_at"]
    return row


def call_rows(rng: random.Random, calls: list[dict[str, Any]], legs_by_call: dict[int, list[dict[str, Any]]],
              caller_base: int, now: datetime,
              pools: dict[str, list[int]] | None = None) -> dict[type, list[dict[str, Any]]]:
    out: dict[type, list[dict[str, Any]]] = {Call: [], QueueEntry: [], Callback: [], CallEvent: [],
                                             Capture: [], Recording: []}
    for c in calls:
        cid, started, path = c["id"], c["started_at"], c["path"]
        caller_id = caller_base + c["caller"]
        legs = [r for r in (_live_leg(leg, now) for leg in legs_by_call.get(cid, [])) if r]
        ended, outcome = c.get("ended_at"), c.get("outcome")
        if c["queue"] and legs_by_call.get(cid):
            last = legs_by_call[cid][-1]
            ended = last.get("left_at") or last.get("ended_at")
            if last.get("outcome") == LegOutcome.VOICEMAIL:
                ended += timedelta(seconds=45)
            outcome = last["outcome"]
            if len(legs) < len(legs_by_call[cid]) or legs[-1]["outcome"] is None:
                ended = None
        if ended is not None and ended > now:
            ended = None
        out[Call].append({
            "id": cid, "sid": f"CA{cid:032x}", "caller_id": caller_id, "to_number": "+448000000000",
            "direction": "inbound", "language": c["language"], "slow_speech": False,
            "status": CallStatus.COMPLETED if ended else CallStatus.IN_PROGRESS, "node": path[-1],
            "outcome": outcome if ended else None, "started_at": started, "ended_at": ended,
            "duration_s": int((ended - started).total_seconds()) if ended else None,
            "adviser_requested_at": started + timedelta(seconds=STEP_S * len(path)) if c["queue"] else None,
            "queue": c["queue"], "reason": c["reason"]})
        out[QueueEntry].extend(legs)
        _events(out[CallEvent], c, ended, outcome, now)
        _captures(rng, out, c, now)
        for leg in legs:
            if leg["outcome"] == LegOutcome.CALLBACK:
                row = _callback(rng, leg, phone_of(caller_id), now)
                if row["status"] == CallStatus.COMPLETED and pools:
                    row["agent_id"] = rng.choice(pools[leg["queue"]])
                out[Callback].append(row)
        if outcome == CallOutcome.VOICEMAIL and ended:
            out[Recording].append({"sid": f"RE{cid:030x}01", "call_id": cid, "kind": "voicemail",
                                   "language": c["language"], "duration_s": 30,
                                   "status": RecordingStatus.TRANSCRIBED,
                                   "text": "please call me back", "confidence": 0.8, "intent": None,
                                   "created_at": ended, "finished_at": ended})
    return out


def _events(rows: list[dict[str, Any]], c: dict[str, Any], ended: datetime | None, outcome: str | None,
            now: datetime) -> None:
    cid, t = c["id"], c["started_at"]
    rows.append({"call_id": cid, "at": t, "kind": "start", "node": None, "detail": None})
    for k, node in enumerate(c["path"]):
        at = t + timedelta(seconds=STEP_S * (k + 1))
        if at > now:
            return
        rows.append({"call_id": cid, "at": at, "kind": "enter", "node": node, "detail": None})
    last = c["path"][-1]
    if c["queue"]:
        rows.append({"call_id": cid, "at": at, "kind": "adviser", "node": last, "detail": c["queue"]})
        if outcome in (CallOutcome.CLOSED, CallOutcome.VOICEMAIL) and not c["open"]:
            rows.append({"call_id": cid, "at": at, "kind": "closed", "node": None, "detail": None})
    elif outcome == CallOutcome.SELF_SERVICE:
        rows.append({"call_id": cid, "at": at, "kind": "info", "node": last, "detail": None})
    if ended:
        rows.append({"call_id": cid, "at": ended, "kind": "status", "node": None, "detail": "completed"})


def _captures(rng: random.Random, out: dict[type, list[dict[str, Any]]], c: dict[str, Any],
              now: datetime) -> None:
    cid, at = c["id"], c["started_at"] + timedelta(seconds=STEP_S * len(c["path"]))
    if at > now:
        return
    if "benefit_id" in c["path"]:
        r = rng.random()
        status = (CaptureStatus.CAPTURED if r < 0.85
                  else CaptureStatus.FAILED if r < 0.95 else CaptureStatus.SKIPPED)
        got = status == CaptureStatus.CAPTURED
        out[Capture].append({"call_id": cid, "field": "id_number", "method": "keypad", "status": status,
                             "value": f"{rng.randrange(10**7, 10**8)}" if got else None,
                             "attempts": 1 if got else 3,
                             "created_at": at, "updated_at": at})
    if c["queue"] and rng.random() < 0.35:
        heard = rng.random() < 0.8
        out[Capture].append({"call_id": cid, "field": "reason", "method": "speech",
                             "status": CaptureStatus.CAPTURED,
                             "value": None, "attempts": 1, "created_at": at, "updated_at": at})
        out[Recording].append({
            "sid": f"RE{cid:030x}02", "call_id": cid, "kind": "reason", "language": c["language"],
            "duration_s": 6, "status": RecordingStatus.TRANSCRIBED if heard else RecordingStatus.NO_SPEECH,
            "text": REASON_TEXT.get(c["reason"], "") if heard else None,
            "confidence": round(rng.uniform(0.55, 0.98), 2) if heard else None,
            "intent": c["reason"] if heard else None, "created_at": at, "finished_at": at})


def _callback(rng: random.Random, leg: dict[str, Any], phone: str, now: datetime) -> dict[str, Any]:
    requested = leg["left_at"]
    row = {"call_id": leg["call_id"], "queue_entry_id": leg["id"], "queue": leg["queue"], "phone": phone,
           "status": CallbackStatus.PENDING, "requested_at": requested, "enqueued_at": leg["enqueued_at"],
           "language": leg["language"], "attempts": 0, "last_attempt_at": None,
           "connected_at": None, "completed_at": None, "wrapped_at": None, "agent_id": None}
    connected = requested + timedelta(seconds=rng.uniform(300, 5400))
    if connected > now:
        return row
    if rng.random() < 0.85:
        completed = connected + timedelta(seconds=rng.uniform(120, 480))
        row.update(status=CallbackStatus.COMPLETED, attempts=1, last_attempt_at=connected,
                   connected_at=connected, completed_at=completed,
                   wrapped_at=completed + timedelta(seconds=rng.uniform(20, 80)))
    else:
        row.update(status=CallbackStatus.FAILED, attempts=3, last_attempt_at=connected)
    return row


def leg_rows(legs: list[dict[str, Any]], pools: dict[str, list[int]],
             now: datetime) -> tuple[list[dict[str, Any]], dict[int, tuple[str, datetime]]]:
    """Adviser status changes from their handled legs, and each adviser's status at `now`."""
    by_agent: dict[int, list[dict[str, Any]]] = {a: [] for pool in pools.values() for a in pool}
    for leg in legs:
        if leg.get("answered_at") and leg["answered_at"] <= now:
            by_agent[leg["agent_id"]].append(leg)
    rows: list[dict[str, Any]] = []
    current: dict[int, tuple[str, datetime]] = {}
    for n, (agent, handled) in enumerate(by_agent.items()):
        handled.sort(key=lambda leg: leg["answered_at"])
        changes: list[tuple[datetime, str]] = []
        prev_wrap: datetime | None = None
        for leg in handled:
            start = leg["answered_at"]
            if prev_wrap is None or (start - prev_wrap).total_seconds() > 3 * 3600:
                if prev_wrap is not None:  # end of a shift: logged off, so not idle
                    changes.append((prev_wrap + timedelta(minutes=10), AdviserStatus.OFFLINE))
                changes.append((max(start - timedelta(minutes=8), prev_wrap or start),
                                AdviserStatus.AVAILABLE))
            changes += [(start, AdviserStatus.BUSY), (leg["ended_at"], AdviserStatus.AFTER_CALL),
                    (leg["wrapped_at"], AdviserStatus.AVAILABLE)]
            prev_wrap = leg["wrapped_at"]
        changes = [(at, st) for at, st in changes if at <= now]
        if (changes and changes[-1][1] == AdviserStatus.AVAILABLE and n % 7 == 3
                and (now - changes[-1][0]).seconds > 60):
            changes.append((now - timedelta(seconds=30), AdviserStatus.BREAK))  # someone is always on a break
        rows += [{"user_id": agent, "status": st, "at": at} for at, st in changes]
        if changes and (now - changes[-1][0]).total_seconds() < 3 * 3600:
            current[agent] = (changes[-1][1], changes[-1][0])
    return rows, current
