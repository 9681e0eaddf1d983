"""Historical reports for supervisors: queues, advisers, IVR (pages, CSV) and GET /api/stats.

Every page takes the same filters (?from=&to= as local dates in the PES time zone, queue,
language, agent, intent) and offers the usual periods as links; the figures come from
queue_metrics / agent_metrics / ivr_metrics, which aggregate in SQL. The pages speak the
supervisor's language (wording.py): the flow's labels instead of codes, durations as h:mm:ss,
each figure in plain words with its exact formula (METRICS.md) one click away. A filter a page
cannot use shows the form again, as typed, with a sentence beside it saying what to fix (400).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from sqlalchemy import select

from callcenter.access import error_json, nav, role_required
from callcenter.accounts import audit
from callcenter.accounts.users import clock
from callcenter.desk.state import DESK
from callcenter.params import FIRST_DAY, ID_SCHEMA, LAST_DAY
from callcenter.reports import charts
from callcenter.reports.agent_metrics import AGENT_FIGURES, agent_report
from callcenter.reports.exports import calls_csv, report_csv
from callcenter.reports.ivr_metrics import IVR_FIGURES, ivr_report
from callcenter.reports.metrics import (
    DURATION_UNITS,
    MAX_PERIOD_DAYS,
    BadFilter,
    Filters,
    local_today,
    parse_filters,
    presets,
    shown,
)
from callcenter.reports.queue_metrics import QUEUE_FIGURES, queue_report
from callcenter.reports.survey_metrics import SURVEY_FIGURES, SURVEY_SCHEMA, survey_report
from callcenter.reports.wording import PLAIN, ScreenLabels
from config.flow import Flow
from db import session as db
from db.models import User
from db.states import Role

bp = Blueprint("reports", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/reports")
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
PARTS = ("queue", "ivr", "advisers", "survey")


def _flow() -> Flow:
    return current_app.extensions["jobline.flow"]


def _now() -> datetime:
    return clock(current_app.config)


def _surveyed(flow: Flow) -> list[str]:
    """The queues that ask the question after the call (config/flow_survey.py)."""
    return [name for name, q in flow.queues.items() if q.survey]


def _today() -> date:
    return local_today(_flow().hours.timezone, _now())


def _filters() -> Filters:
    return parse_filters(request.args, _flow().hours.timezone, _today())


def _choices(flow: Flow) -> dict[str, Any]:
    agents = db.current().execute(select(User.id, User.name).where(User.role == Role.AGENT)
                                  .order_by(User.name)).all()
    labels = ScreenLabels(flow)
    return {"queues": [(name, labels.queue(name)) for name in flow.queues],
            "languages": [(lang.code, lang.name) for lang in flow.languages],
            "intents": labels.intents(), "agents": agents}


FORM_FIELDS = ("from", "to", "queue", "language", "agent", "intent")
MAX_FORM_VALUE = 64  # longer is never a valid filter; the form need not echo it back


def _form(args: Any) -> dict[str, str]:
    """What the filter form shows: the values asked for, kept as typed when one is wrong."""
    return {key: str(args.get(key) or "")[:MAX_FORM_VALUE] for key in FORM_FIELDS}


def _presets(report: str, form: dict[str, str]) -> list[dict[str, Any]]:
    """The usual periods as links to this report, the other filters kept (no script needed)."""
    kept = {k: v for k, v in form.items() if v and k not in ("from", "to")}
    out = []
    for name, first, last in presets(_today()):
        period = {"from": first.isoformat(), "to": last.isoformat()}
        out.append({"name": name, "href": url_for(f"reports.{report}", **kept, **period),
                    "current": (form["from"], form["to"]) == (period["from"], period["to"])})
    return out


def _render(template: str, report: str, form: dict[str, str], bad: str = "", **context: Any) -> str:
    """A report page; `bad` names a filter the preset links must not carry (it was refused)."""
    flow = _flow()
    kept = {**form, bad: ""} if bad in FORM_FIELDS and bad not in ("from", "to") else form
    return render_template(template, report=report, form=form, presets=_presets(report, kept),
                           choices=_choices(flow), labels=ScreenLabels(flow), plain=PLAIN[report],
                           timezone=flow.hours.timezone, durations=DURATION_UNITS, **context)


def _page(template: str, report: str, f: Filters, data: dict[str, Any], figures: dict[str, Any]) -> str:
    query = f.as_query()
    form = _form({**query, "agent": query.get("agent_id", "")})
    return _render(template, report, form, f=f, data=data, figures=figures, shown=shown,
                   charts=charts, query=query, error=None)


@bp.errorhandler(BadFilter)
def _bad_filter(e: BadFilter) -> Any:
    if request.path.startswith("/api/"):
        return error_json(400, f"{e}.")
    report = (request.endpoint or "").removeprefix("reports.")
    if report in PLAIN:  # a report page: the form again, the values kept, the fix beside them
        return _render("reports_base.html", report, _form(request.args), e.field, error=e, query={}), 400
    return render_template("error.html", code=400, message=f"{e}. Correct the filter and try again."), 400


@bp.get("/reports")
@nav("Reports", 40)
@role_required(*SUPERVISORS)
def queues() -> str:
    f = _filters()
    data = queue_report(db.current(), f, _flow(), _now())
    return _page("reports_queues.html", "queues", f, data, QUEUE_FIGURES)


@bp.get("/reports/advisers")
@role_required(*SUPERVISORS)
def advisers() -> str:
    f = _filters()
    data = agent_report(db.current(), f, _now())
    return _page("reports_advisers.html", "advisers", f, data, AGENT_FIGURES)


@bp.get("/reports/ivr")
@role_required(*SUPERVISORS)
def ivr() -> str:
    f = _filters()
    return _page("reports_ivr.html", "ivr", f, ivr_report(db.current(), f, _now()), IVR_FIGURES)


@bp.get("/reports/survey")
@role_required(*SUPERVISORS)
def survey() -> str:
    f = _filters()
    return _page("reports_survey.html", "survey", f, survey_report(db.current(), f, _surveyed(_flow())),
                 SURVEY_FIGURES)


@bp.get("/reports/<any(queues, advisers, ivr, survey):report>.csv")
@role_required(*SUPERVISORS)
def report_download(report: str) -> Response:
    f, s, now = _filters(), db.current(), _now()
    if report == "queues":
        data = queue_report(s, f, _flow(), now)
    elif report == "advisers":
        data = agent_report(s, f, now)
    elif report == "survey":
        data = survey_report(s, f, _surveyed(_flow()))
    else:
        data = ivr_report(s, f, now)
    audit.record_now("export_csv", detail=f"{report} report")
    return report_csv(report, f, data, _flow())


@bp.get("/reports/calls.csv")
@role_required(*SUPERVISORS)
def calls_download() -> Response:
    """Call detail records, streamed; phone and ID numbers masked unless the reader is an admin;
    advisers' notes for the roles that read them on the desk (supervisors, not admins)."""
    from flask_login import current_user

    audit.record_now("export_csv", detail="call records, full numbers" if current_user.role == Role.ADMIN
                     else "call records")
    return calls_csv(_filters(), _flow(), full_numbers=current_user.role == Role.ADMIN,
                     notes=current_user.role in DESK)


def stats(s: Any, f: Filters, flow: Flow, now: datetime, parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """The figures of /api/stats (keys as in METRICS.md; a rate with nothing to divide is null)."""
    out: dict[str, Any] = {"from": f.first_day.isoformat(), "to": f.last_day.isoformat(),
                           "timezone": flow.hours.timezone, "queue": f.queue, "formulas": {}}
    if "queue" in parts:
        q = queue_report(s, f, flow, now)
        out.update(q["total"])
        out["queues"] = q["queues"]
        out["formulas"].update(q["formulas"])
    if "ivr" in parts:
        out["ivr"] = ivr_report(s, f, now)["total"]
        out["formulas"].update({k: v[2] for k, v in IVR_FIGURES.items()})
    if "advisers" in parts:
        out["advisers"] = agent_report(s, f, now)["total"]
        out["formulas"].update({k: v[2] for k, v in AGENT_FIGURES.items()})
    if "survey" in parts:  # the question after the call (docs/metrics.md)
        out["survey"] = {k: v for k, v in survey_report(s, f, _surveyed(flow)).items() if k != "formulas"}
        out["formulas"].update({k: v[2] for k, v in SURVEY_FIGURES.items()})
    return out


@bp.get("/api/stats")
@role_required(*SUPERVISORS)
def api_stats() -> Any:
    parts = tuple(p for p in (request.args.get("parts") or ",".join(PARTS)).split(",") if p)
    unknown = set(parts) - set(PARTS)
    if unknown:
        return error_json(400, f"parts: {', '.join(sorted(unknown))} unknown; use {', '.join(PARTS)}.")
    f = _filters()
    if f.queue is not None and f.queue not in _flow().queues:  # else: 200 and zeros, as if quiet
        return error_json(400, f"queue: {f.queue!r} is not a queue; use one of {', '.join(_flow().queues)}.")
    return jsonify(stats(db.current(), f, _flow(), _now(), parts))


_RATE = {"type": ["number", "null"], "description": "percent, 0-100, one decimal; null when the "
                                                     "denominator is zero"}
_SECONDS = {"type": ["number", "null"], "description": "seconds, one decimal; null when nothing to average"}
_COUNT = {"type": "integer"}
_QUEUE_FIGURES = {
    "type": "object",
    "properties": {"offered": _COUNT, "answered": _COUNT, "abandoned": _COUNT, "short_abandons": _COUNT,
                   "callbacks": _COUNT, "voicemails": _COUNT, "transferred_out": _COUNT,
                   "service_level": _RATE, "abandonment_rate": _RATE, "asa_s": _SECONDS,
                   "avg_abandon_s": _SECONDS, "callbacks_requested": _COUNT, "callbacks_completed": _COUNT,
                   "callbacks_failed": _COUNT, "callback_attempts": _COUNT, "time_to_callback_s": _SECONDS},
}
def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A query parameter of /api/stats; empty is allowed and means the default."""
    return {"name": name, "in": "query", "schema": schema, "allowEmptyValue": True,
            **({"description": description} if description else {})}


# Merged into the API spec by callcenter/desk/openapi.py, whose components the $refs name.
STATS_OPENAPI: dict[str, Any] = {
    "paths": {"/api/stats": {"get": {
        "summary": "Contact-centre figures for a period (METRICS.md definitions)",
        "description": "Calls belong to the period in which they started, in the PES time zone. "
                       "For supervisors and admins. `formulas` gives the formula of every figure. "
                       "An empty parameter is the same as none (the report pages' forms send them).",
        "parameters": [
            _query("from", {"type": "string", "format": "date"},
                   f"first local day (YYYY-MM-DD, {FIRST_DAY} to {LAST_DAY}), default today"),
            _query("to", {"type": "string", "format": "date"},
                   f"last local day, inclusive, default `from`; not before `from`, and at most "
                   f"{MAX_PERIOD_DAYS} days after it (else 400)"),
            _query("queue", {"type": "string"}, "one queue of the flow (enum); another name gets 400"),
            _query("language", {"type": "string"}),
            _query("agent", ID_SCHEMA, "an adviser's id"),
            _query("intent", {"type": "string"}),
            _query("parts", {"type": "array", "items": {"type": "string", "enum": list(PARTS)}},
                   "which groups of figures to compute, comma-separated (default all)")
            | {"style": "form", "explode": False},
        ],
        "responses": {
            "200": {"description": "figures", "content": {"application/json": {"schema": {
                "allOf": [_QUEUE_FIGURES, {"type": "object", "properties": {
                    "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                    "timezone": {"type": "string"}, "queue": {"type": ["string", "null"]},
                    "queues": {"type": "object", "additionalProperties": _QUEUE_FIGURES},
                    "ivr": {"type": "object", "properties": {
                        "calls": _COUNT, "containment": _RATE, "true_containment": _RATE,
                        "ivr_hangup_rate": _RATE, "transcription_success": _RATE}},
                    "advisers": {"type": "object", "properties": {
                        "handled": _COUNT, "aht_s": _SECONDS, "occupancy": _RATE, "transfers_out": _COUNT,
                        "callbacks_completed": _COUNT}},
                    "survey": SURVEY_SCHEMA,
                    "formulas": {"type": "object", "additionalProperties": {"type": "string"}}}}]}}}},
            "400": {"$ref": "#/components/responses/E400"},
            "401": {"$ref": "#/components/responses/E401"},
            "403": {"$ref": "#/components/responses/E403"},
        },
    }}},
}


def init_app(app: Any) -> None:
    """Register the reports and the wallboard (called from callcenter.init_app)."""
    from callcenter.reports.wallboard import bp as wallboard_bp

    app.register_blueprint(bp)
    app.register_blueprint(wallboard_bp)
