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
from callcenter.reports import charts
from callcenter.reports.agent_metrics import AGENT_FIGURES, agent_report
from callcenter.reports.exports import calls_csv, report_csv
from callcenter.reports.ivr_metrics import IVR_FIGURES, ivr_report
from callcenter.reports.metrics import (
    DURATION_UNITS,
    BadFilter,
    Filters,
    local_today,
    parse_filters,
    presets,
    shown,
)
from callcenter.reports.queue_metrics import QUEUE_FIGURES, queue_report
from callcenter.reports.stats_schema import PARTS
from callcenter.reports.survey_metrics import SURVEY_FIGURES, survey_report
from callcenter.reports.text_metrics import TEXT_FIGURES, texts_report
from callcenter.reports.wording import PLAIN, ScreenLabels
from config.flow import Flow
from db import session as db
from db.models import User
from db.states import Role

bp = Blueprint("reports", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/reports")
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


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
    return _page("reports_ivr.html", "ivr", f, _with_texts(ivr_report(db.current(), f, _now()), f),
                 {**IVR_FIGURES, **TEXT_FIGURES})


def _with_texts(data: dict[str, Any], f: Filters) -> dict[str, Any]:
    """The IVR report with its texts (text_metrics.py): a table of their own, formulas merged."""
    texts = texts_report(db.current(), f)
    return {**data, "texts": texts, "formulas": {**data["formulas"], **texts["formulas"]}}


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
        data = _with_texts(ivr_report(s, f, now), f)
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
        texts = texts_report(s, f)
        out["texts"] = {**texts["total"], "messages": texts["rows"]}
        out["formulas"].update({k: v[2] for k, v in {**IVR_FIGURES, **TEXT_FIGURES}.items()})
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


def init_app(app: Any) -> None:
    """Register the reports, the wallboard and the floor (called from callcenter.init_app)."""
    from callcenter.reports.floor_view import bp as floor_bp
    from callcenter.reports.wallboard import bp as wallboard_bp

    app.register_blueprint(bp)
    app.register_blueprint(wallboard_bp)
    app.register_blueprint(floor_bp)
