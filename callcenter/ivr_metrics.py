"""The IVR report (METRICS.md, IVR metrics): containment, hang-ups, drop-off, captures, reasons."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from callcenter.metrics import (
    Filters,
    bucket_time,
    calls_in_period,
    in_period,
    rate,
    seconds_between,
    utc_hour,
)
from db.models import Call, CallEvent, Capture, Recording

REPEAT_WINDOW_S = 24 * 3600
OUTCOMES = ("self_service", "ivr_hangup", "answered", "abandoned", "short_abandon", "callback",
            "voicemail", "closed", "transferred")
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


def _outcome_rows(s: Session, f: Filters) -> list[Any]:
    c = Call
    later = aliased(Call)
    repeat = (select(later.id).where(later.caller_id == c.caller_id, later.started_at > c.started_at,
                                     seconds_between(later.started_at, c.started_at) <= REPEAT_WINDOW_S)
              .exists())
    truly = func.sum(case((and_(c.outcome == "self_service", ~repeat), 1), else_=0))
    stmt = (select(utc_hour(c.started_at).label("hour"), c.outcome, func.count().label("n"),
                   truly.label("truly"))
            .where(calls_in_period(f)).group_by("hour", c.outcome))
    return list(s.execute(stmt))


def _drop_off(s: Session, f: Filters) -> list[dict[str, Any]]:
    c, e = Call, CallEvent
    entered = dict(s.execute(
        select(e.node, func.count(func.distinct(e.call_id))).join(c, c.id == e.call_id)
        .where(calls_in_period(f), e.kind == "enter").group_by(e.node)).all())
    # The last node entered, as the engine keeps it on the call at each 'enter' event.
    left = dict(s.execute(select(c.node, func.count()).where(calls_in_period(f), c.outcome == "ivr_hangup")
                          .group_by(c.node)).all())
    nodes = sorted(set(entered) | set(left), key=lambda n: (-(left.get(n) or 0), str(n)))
    return [{"node": n, "entered": int(entered.get(n, 0)), "hangups": int(left.get(n, 0)),
             "drop_off": rate(left.get(n, 0), entered.get(n, 0))} for n in nodes if n]


def _captures(s: Session, f: Filters) -> list[dict[str, Any]]:
    cap = Capture
    stmt = (select(cap.field, func.count().label("asked"),
                   func.sum(case((cap.status == "captured", 1), else_=0)).label("captured"))
            .where(in_period(cap.created_at, cap.call_id, f)).group_by(cap.field).order_by(cap.field))
    if f.language or f.intent:
        stmt = stmt.join(Call, Call.id == cap.call_id).where(calls_in_period(f))
    return [{"field": r.field, "asked": int(r.asked), "captured": int(r.captured or 0),
             "capture_rate": rate(r.captured, r.asked)} for r in s.execute(stmt)]


def _transcripts(s: Session, f: Filters) -> dict[str, Any]:
    r = Recording
    has_text = and_(r.text.is_not(None), r.text != "")
    stmt = (select(func.count().label("n"), func.sum(case((has_text, 1), else_=0)).label("ok"))
            .where(in_period(r.created_at, r.call_id, f)))
    if f.language or f.intent:
        stmt = stmt.join(Call, Call.id == r.call_id).where(calls_in_period(f))
    row = s.execute(stmt).one()
    return {"recordings": int(row.n), "with_text": int(row.ok or 0),
            "transcription_success": rate(row.ok, row.n)}


def _reasons(s: Session, f: Filters, limit: int = 10) -> list[dict[str, Any]]:
    n = func.count().label("n")
    stmt = (select(Call.reason, n).where(calls_in_period(f), Call.reason.is_not(None))
            .group_by(Call.reason).order_by(n.desc(), Call.reason).limit(limit))
    return [{"reason": reason, "calls": int(count)} for reason, count in s.execute(stmt)]


def ivr_report(s: Session, f: Filters) -> dict[str, Any]:
    rows = _outcome_rows(s, f)
    outcomes: dict[str, int] = defaultdict(int)
    by_hour = [defaultdict(int) for _ in range(24)]
    by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    truly = 0
    for row in rows:
        key = row.outcome or "in_progress"
        local = bucket_time(row.hour).astimezone(f.tz)
        outcomes[key] += row.n
        by_hour[local.hour][key] += row.n
        by_day[local.date().isoformat()][key] += row.n
        truly += int(row.truly or 0)
    total = sum(outcomes.values())
    return {
        "total": {"calls": total, "self_service": outcomes["self_service"],
                  "ivr_hangups": outcomes["ivr_hangup"],
                  "containment": rate(outcomes["self_service"], total),
                  "true_containment": rate(truly, total), "truly_contained": truly,
                  "ivr_hangup_rate": rate(outcomes["ivr_hangup"], total),
                  **_transcripts(s, f)},
        "outcomes": {k: outcomes[k] for k in (*OUTCOMES, "in_progress") if outcomes.get(k)},
        "by_hour": [{"hour": h, "calls": sum(by_hour[h].values()), **by_hour[h]} for h in range(24)],
        "by_day": [{"day": d, "calls": sum(v.values()), **v} for d, v in sorted(by_day.items())],
        "drop_off": _drop_off(s, f),
        "captures": _captures(s, f),
        "top_reasons": _reasons(s, f),
        "formulas": {k: v[2] for k, v in IVR_FIGURES.items()},
    }
