"""The IVR report (METRICS.md, IVR metrics): containment, hang-ups, drop-off, captures, reasons."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from callcenter.reports.metrics import (
    Filters,
    bucket_key,
    bucket_time,
    calls_in_period,
    rate,
    seconds_between,
    utc_hour,
)
from callcenter.reports.rollups.read import raw, split
from db.models import Call, CallEvent, Capture, Recording
from db.models.rollups import IvrRollup
from db.states import CallOutcome, CaptureStatus, RecordingStatus

REPEAT_WINDOW_S = 24 * 3600
TOP_REASONS = 10
OUTCOMES = tuple(o.value for o in CallOutcome)
IVR_FIGURES: dict[str, tuple[str, str, str]] = {
    "calls": ("All calls", "", "calls that started in the period"),
    "containment": ("Containment", "%", "self_service ÷ all calls × 100"),
    "true_containment": ("True containment", "%", "self-service calls whose caller did not call again "
                         "within 24 h ÷ all calls × 100 (withheld numbers cannot be followed: counted as "
                         "contained)"),
    "ivr_hangup_rate": ("IVR hang-up rate", "%", "ivr_hangup ÷ all calls × 100"),
    "drop_off": ("Drop-off per node", "%", "IVR hang-ups whose last node entered (CallEvent 'enter') was "
                 "the node ÷ calls that entered the node × 100"),
    "capture_rate": ("Capture rate", "%", "captures with status captured ÷ captures asked, per field"),
    "transcription_success": ("Transcription success", "%", "recordings with transcript text ÷ "
                              "recordings × 100"),
    "top_reasons": ("Top reasons", "", "calls per reason (the intent derived from the reason "
                    "transcript, Call.reason), most frequent first"),
}


def truly_contained(c: Any) -> Any:
    """1 for a self-service call whose caller did not call again within 24 h (SQL, per call)."""
    later = aliased(Call)
    repeat = (select(later.id).where(later.caller_id == c.caller_id, later.started_at > c.started_at,
                                     seconds_between(later.started_at, c.started_at) <= REPEAT_WINDOW_S)
              .exists())
    return case((and_(c.outcome == CallOutcome.SELF_SERVICE, ~repeat), 1), else_=0)


def _outcome_rows(s: Session, f: Filters) -> list[Any]:
    c = Call
    stmt = (select(utc_hour(c.started_at).label("hour"), c.outcome, func.count().label("n"),
                   func.sum(truly_contained(c)).label("truly"))
            .where(calls_in_period(f)).group_by("hour", c.outcome))
    return list(s.execute(stmt))


def _of_calls(f: Filters, call_id: Any, ids: tuple[int, int]) -> Any:
    """Rows of the period's calls. The call-id range is only a hint (the period test decides):
    ids grow with time, so PostgreSQL reads the rows of a few hours by index, not by a scan."""
    return and_(calls_in_period(f), call_id.between(*ids))


def _entered_and_left(s: Session, f: Filters, ids: tuple[int, int]) -> tuple[dict[str, int], dict[str, int]]:
    c, e = Call, CallEvent
    entered = s.execute(select(e.node, func.count(func.distinct(e.call_id))).join(c, c.id == e.call_id)
                        .where(_of_calls(f, e.call_id, ids), e.kind == "enter").group_by(e.node)).all()
    # The last node entered, as the engine keeps it on the call at each 'enter' event.
    left = s.execute(select(c.node, func.count())
                     .where(calls_in_period(f), c.outcome == CallOutcome.IVR_HANGUP)
                     .group_by(c.node)).all()
    return ({str(n): int(k) for n, k in entered if n}, {str(n): int(k) for n, k in left if n})


def _captures(s: Session, f: Filters, ids: tuple[int, int]) -> dict[str, list[int]]:
    cap = Capture
    captured = func.sum(case((cap.status == CaptureStatus.CAPTURED, 1), else_=0))
    stmt = (select(cap.field, func.count(), captured)
            .join(Call, Call.id == cap.call_id).where(_of_calls(f, cap.call_id, ids)).group_by(cap.field))
    return {field: [int(asked), int(ok or 0)] for field, asked, ok in s.execute(stmt)}


def _transcripts(s: Session, f: Filters, ids: tuple[int, int]) -> list[int]:
    r = Recording
    # "transcribed" still counts once retention or erasure cleared the text (speech/retention.py)
    has_text = or_(and_(r.text.is_not(None), r.text != ""), r.status == RecordingStatus.TRANSCRIBED)
    stmt = (select(func.count(), func.sum(case((has_text, 1), else_=0)))
            .join(Call, Call.id == r.call_id).where(_of_calls(f, r.call_id, ids)))
    n, ok = s.execute(stmt).one()
    return [int(n), int(ok or 0)]


def _reasons(s: Session, f: Filters) -> dict[str, int]:
    stmt = (select(Call.reason, func.count()).where(calls_in_period(f), Call.reason.is_not(None))
            .group_by(Call.reason))
    return {reason: int(n) for reason, n in s.execute(stmt)}


def ivr_part(s: Session, f: Filters) -> dict[str, Any]:
    """A period's IVR sums from the raw rows, as plain data."""
    # id + 0: PostgreSQL would otherwise walk the primary key from one end looking for the period
    lo, hi = s.execute(select(func.min(Call.id + 0), func.max(Call.id + 0)).where(calls_in_period(f))).one()
    ids = (lo or 0, hi or 0)
    entered, left = _entered_and_left(s, f, ids)
    return {"outcomes": [[r.hour, r.outcome, int(r.n), int(r.truly or 0)] for r in _outcome_rows(s, f)],
            "entered": entered, "left": left, "captures": _captures(s, f, ids),
            "recordings": _transcripts(s, f, ids), "reasons": _reasons(s, f)}


def _add(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, list):
            into[key] = [a + b for a, b in zip(into.get(key) or [0] * len(value), value, strict=True)]
        else:
            into[key] = into.get(key, 0) + value


def repeats_since(s: Session, f: Filters, rolled_at: datetime) -> int:
    """Self-service calls of the period counted truly contained when the rollups were made
    (no repeat call started by `rolled_at`) whose caller has called again, within 24 h, since."""
    c, again, before, newer = Call, aliased(Call), aliased(Call), aliased(Call)
    window = timedelta(seconds=REPEAT_WINDOW_S)
    if s.scalar(select(Call.id).where(Call.started_at > rolled_at).limit(1)) is None:
        return 0  # no call since the run (and so no repeat): the common case, one index probe
    counted = ~(select(before.id).where(
        before.caller_id == c.caller_id, before.started_at > c.started_at, before.started_at <= rolled_at,
        seconds_between(before.started_at, c.started_at) <= REPEAT_WINDOW_S).exists())
    stmt = (select(func.count(func.distinct(c.id))).select_from(again)
            .join(c, and_(c.caller_id == again.caller_id, c.started_at < again.started_at,
                          c.started_at > rolled_at - window - timedelta(seconds=1)))  # index range
            .where(again.started_at > rolled_at, c.outcome == CallOutcome.SELF_SERVICE, calls_in_period(f),
                   c.caller_id.in_(select(newer.caller_id).where(newer.started_at > rolled_at)),
                   seconds_between(again.started_at, c.started_at) <= REPEAT_WINDOW_S, counted))
    return int(s.scalar(stmt) or 0)


def rolled_ivr_part(s: Session, f: Filters, rolled_at: datetime | None) -> dict[str, Any]:
    """The same sums from ivr_rollups (true containment as of the last run, less repeats since)."""
    t = IvrRollup

    def rows(kind: Any, *cols: Any) -> Any:
        stmt = select(*cols).where(kind, t.hour >= f.start, t.hour < f.end).group_by(*cols[:-2])
        for col, value in ((t.language, f.language), (t.reason, f.intent)):
            if value is not None:
                stmt = stmt.where(col == value)
        return s.execute(stmt)

    outcomes = [[bucket_key(hour), key or None, int(n), int(m or 0)]
                for hour, key, n, m in rows(t.kind == "outcome", t.hour, t.key, func.sum(t.n), func.sum(t.m))]
    truly = -repeats_since(s, f, rolled_at) if rolled_at is not None else 0
    sums: dict[str, dict[str, list[int]]] = defaultdict(dict)
    other = t.kind.in_(("entered", "left", "capture", "recording"))
    for kind, key, n, m in rows(other, t.kind, t.key, func.sum(t.n), func.sum(t.m)):
        sums[kind][key] = [int(n or 0), int(m or 0)]
    reasons = rows(and_(t.kind == "outcome", t.reason != ""), t.reason, func.sum(t.n), func.sum(t.m))
    return {"outcomes": outcomes, "truly": truly, "recordings": sums["recording"].get("", [0, 0]),
            "entered": {k: v[0] for k, v in sums["entered"].items()},
            "left": {k: v[0] for k, v in sums["left"].items()}, "captures": sums["capture"],
            "reasons": {reason: int(n) for reason, n, _ in reasons}}


def ivr_report(s: Session, f: Filters, now: datetime | None = None, rollups: bool = True) -> dict[str, Any]:
    cut = split(s, f, None, now or datetime.now(UTC)) if rollups else raw(f)
    parts = [rolled_ivr_part(s, cut.rolled, cut.rolled_at)] if cut.rolled else []
    if cut.live:
        parts.append(ivr_part(s, cut.live))
    outcomes: dict[str, int] = defaultdict(int)
    by_hour = [defaultdict(int) for _ in range(24)]
    entered: dict[str, Any] = {}
    left: dict[str, Any] = {}
    captures: dict[str, Any] = {}
    reasons: dict[str, Any] = {}
    recordings, truly = [0, 0], 0
    for part in parts:
        for hour, outcome, n, truly_n in part["outcomes"]:
            key = outcome or "in_progress"
            outcomes[key] += n
            by_hour[bucket_time(hour).astimezone(f.tz).hour][key] += n
            truly += truly_n
        truly += part.get("truly", 0)
        _add(entered, part["entered"])
        _add(left, part["left"])
        _add(captures, part["captures"])
        _add(reasons, part["reasons"])
        recordings = [a + b for a, b in zip(recordings, part["recordings"], strict=True)]
    total = sum(outcomes.values())
    nodes = sorted(set(entered) | set(left), key=lambda n: (-left.get(n, 0), n))
    return {
        "total": {"calls": total, "self_service": outcomes["self_service"],
                  "ivr_hangups": outcomes["ivr_hangup"],
                  "containment": rate(outcomes["self_service"], total),
                  "true_containment": rate(truly, total), "truly_contained": truly,
                  "ivr_hangup_rate": rate(outcomes["ivr_hangup"], total),
                  "recordings": recordings[0], "with_text": recordings[1],
                  "transcription_success": rate(recordings[1], recordings[0])},
        "outcomes": {k: outcomes[k] for k in (*OUTCOMES, "in_progress") if outcomes.get(k)},
        "by_hour": [{"hour": h, "calls": sum(by_hour[h].values()), **by_hour[h]} for h in range(24)],
        "drop_off": [{"node": n, "entered": entered.get(n, 0), "hangups": left.get(n, 0),
                      "drop_off": rate(left.get(n, 0), entered.get(n, 0))} for n in nodes],
        "captures": [{"field": k, "asked": v[0], "captured": v[1], "capture_rate": rate(v[1], v[0])}
                     for k, v in sorted(captures.items())],
        "top_reasons": [{"reason": k, "calls": v}
                        for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]],
        "formulas": {k: v[2] for k, v in IVR_FIGURES.items()},
    }
