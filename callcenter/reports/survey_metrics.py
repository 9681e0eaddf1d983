"""The caller survey report (issue 19; docs/metrics.md, "Caller survey"): the question after the
call, by queue, adviser and language, from the survey_responses rows.

A survey belongs to the period in which the call it follows started (METRICS.md's rule for
every figure), including a callback's survey, asked when the call back ended: it is the
original call's. The report's filters apply as elsewhere: queue, language and adviser are the
survey row's own; a reason (intent) is the call's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from callcenter.reports.metrics import Filters, rate
from db.models import Call, SurveyResponse, User

COUNTS = ("surveys_offered", "survey_responses", "score_sum")
# key -> (label, unit, formula): shown beside each figure on screen, in the CSV and the API.
SURVEY_FIGURES: dict[str, tuple[str, str, str]] = {
    "surveys_offered": ("Surveys offered", "", "adviser conversations after which the caller, still on "
                        "the line in a queue with survey: true, was asked the question"),
    "survey_responses": ("Responses", "", "surveys offered that the caller answered with a key from 1 to 5"),
    "survey_response_rate": ("Response rate", "%", "responses ÷ surveys offered × 100"),
    "mean_survey_score": ("Mean score", "", "mean of the scores (1-5) over responses, one decimal"),
}
GROUPS = ("queue", "agent_id", "language")


def figures(sums: dict[str, float] | None) -> dict[str, Any]:
    v = sums or dict.fromkeys(COUNTS, 0.0)
    responses = v["survey_responses"]
    return {"surveys_offered": int(v["surveys_offered"]), "survey_responses": int(responses),
            "survey_response_rate": rate(responses, v["surveys_offered"]),
            "mean_survey_score": round(v["score_sum"] / responses, 1) if responses else None}


def _sums(s: Session, f: Filters, by: Any) -> dict[Any, dict[str, float]]:
    r = SurveyResponse
    in_period = exists().where(Call.id == r.call_id, Call.started_at >= f.start, Call.started_at < f.end)
    stmt = (select(by, func.count(), func.count(r.score), func.sum(r.score)).where(in_period)
            .group_by(by))
    for col, value in ((r.queue, f.queue), (r.language, f.language), (r.agent_id, f.agent_id)):
        if value is not None:
            stmt = stmt.where(col == value)
    if f.intent is not None:
        stmt = stmt.where(exists().where(Call.id == r.call_id, Call.reason == f.intent))
    return {key: dict(zip(COUNTS, (float(v or 0) for v in values), strict=True))
            for key, *values in s.execute(stmt)}


def survey_report(s: Session, f: Filters, queues: list[str]) -> dict[str, Any]:
    """Totals, and the figures per queue (every queue of the flow that asks, and any with rows),
    per adviser (by name) and per language."""
    r = SurveyResponse
    per_queue, per_agent = _sums(s, f, r.queue), _sums(s, f, r.agent_id)
    per_language = _sums(s, f, r.language)
    total = {k: sum(v[k] for v in per_queue.values()) for k in COUNTS}
    names = [q for q in queues if f.queue in (None, q)] + sorted(set(per_queue) - set(queues))
    agent_names = dict(s.execute(select(User.id, User.name).where(User.id.in_(
        [a for a in per_agent if a is not None]))).all())
    advisers = [{"agent_id": a, "agent": agent_names.get(a, "(deleted adviser)") if a else "(no adviser)",
                 **figures(v)} for a, v in per_agent.items()]
    return {
        "total": figures(total),
        "queues": {name: figures(per_queue.get(name)) for name in names},
        "advisers": sorted(advisers, key=lambda line: line["agent"]),
        "languages": {code or "": figures(per_language[code])
                      for code in sorted(per_language, key=lambda c: c or "")},
        "formulas": {k: v[2] for k, v in SURVEY_FIGURES.items()},
    }


_RATE = {"type": ["number", "null"], "description": "percent, 0-100, one decimal; null when no survey "
                                                    "was offered"}
_SCORE = {"type": ["number", "null"], "minimum": 1, "maximum": 5,
          "description": "1-5, one decimal; null when there is no response"}
_COUNT = {"type": "integer", "minimum": 0}
_FIGURES = {"type": "object", "required": list(SURVEY_FIGURES),
            "properties": {"surveys_offered": _COUNT, "survey_responses": _COUNT,
                           "survey_response_rate": _RATE, "mean_survey_score": _SCORE}}
# The `survey` part of GET /api/stats (callcenter/reports/stats_schema.py STATS_OPENAPI).
SURVEY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "total": _FIGURES,
    "queues": {"type": "object", "additionalProperties": _FIGURES},
    "advisers": {"type": "array", "items": {"allOf": [_FIGURES, {"type": "object", "properties": {
        "agent_id": {"type": ["integer", "null"]}, "agent": {"type": "string"}}}]}},
    "languages": {"type": "object", "additionalProperties": _FIGURES},
}}
