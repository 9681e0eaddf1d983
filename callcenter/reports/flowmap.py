"""The flow map: config/ivr.yaml drawn as a graph of what callers hear, for the supervisors who
read the IVR report and the PES editors who change the flow.

The graph's content comes from flowgraph.py (leniently, so a draft's mistakes show); dagre lays
it out in the browser (static/flowmap.js, the library vendored in static/vendor). Each step
carries the IVR report's figures for the chosen period (callers who reached it, and who hung up
there), the same numbers as the report's drop-off table. The page also lists every step and
option as text: the same facts without script, and for a screen reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Flask, current_app, render_template, request
from flask_login import current_user

from callcenter.access import allow_larger_body, nav, role_required
from callcenter.accounts import audit
from callcenter.accounts.users import clock
from callcenter.reports.flow_recordings import recordable, recordings
from callcenter.reports.flowgraph import FlowMap, build_map
from callcenter.reports.ivr_metrics import IVR_FIGURES, ivr_report
from callcenter.reports.metrics import BadFilter, Filters, local_today, parse_filters, shown
from config.flow import parse_flow_text
from config.flow_audio import audio_dir_of
from config.settings import ConfigError
from db import session as db
from db.states import Role

bp = Blueprint("flowmap", __name__)
MAX_DRAFT_BYTES = 512 * 1024


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # A pasted draft comes form-encoded: an accented or Korean character's 2-3 bytes become 6-9.
    allow_larger_body(app, "flowmap.check_draft", 3 * MAX_DRAFT_BYTES + 64 * 1024)
FIGURES_FOR = (Role.SUPERVISOR, Role.ADMIN)  # who reads the IVR report's figures


def _period() -> tuple[Filters | None, str]:
    """The period asked for (?from=&to=, as on the report pages; default today), or a sentence."""
    flow = current_app.extensions["jobline.flow"]
    today = local_today(flow.hours.timezone, clock(current_app.config))
    args = {k: request.args.get(k, "") for k in ("from", "to")}
    try:
        return parse_filters(args, flow.hours.timezone, today), ""
    except BadFilter as e:
        return None, e.fix


def _figures(f: Filters | None) -> dict[str, dict[str, str]] | None:
    """node -> the IVR report's drop-off figures for the period, as the report shows them."""
    if f is None or current_user.role not in FIGURES_FOR:
        return None
    rows = ivr_report(db.current(), f, clock(current_app.config))["drop_off"]
    return {r["node"]: {"entered": shown(r["entered"]), "hangups": shown(r["hangups"]),
                        "drop_off": shown(r["drop_off"], "%")} for r in rows}


def _page(flow_map: FlowMap, source: str, draft: str | None) -> str:
    f, bad_period = _period()
    figures = _figures(f) if flow_map.nodes and draft is None else None  # a draft has no calls yet
    none = {"entered": shown(0), "hangups": shown(0), "drop_off": shown(None, "%")}
    if figures is not None:
        figures = {node: figures.get(node, none) for node in flow_map.nodes}
    lang = request.args.get("lang") if request.args.get("lang") in flow_map.codes else \
        next(iter(flow_map.codes), "")
    live = current_app.extensions["jobline.flow"]
    return render_template("flowmap.html", map=flow_map, source=source, draft=draft, lang=lang, f=f,
                           recorded=recordings(live), recordable=recordable(live),
                           bad_period=bad_period, figures=figures, drop_off=IVR_FIGURES["drop_off"],
                           data={**flow_map.as_data(), "figures": figures, "lang": lang})


def read_flow_file(path: Path) -> Any:
    return parse_flow_text(path.read_text(encoding="utf-8"))


@bp.get("/flow")
@nav("Flow map", order=60)
@role_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def live() -> str:
    path = Path(current_app.config["IVR_FILE"])
    return _page(build_map(read_flow_file(path), audio_dir_of(path)), path.name, None)


@bp.post("/flow")
@role_required(Role.SUPERVISOR, Role.ADMIN)
def check_draft() -> tuple[str, int]:
    """Draw a draft flow file (uploaded or pasted) and say whether it would boot."""
    upload = request.files.get("draft_file")
    text = upload.read(MAX_DRAFT_BYTES + 1).decode("utf-8", "replace") if upload and upload.filename \
        else request.form.get("draft", "")
    if not text.strip():
        return _draft_error("Paste the flow file or choose it with the file button, then press Check.")
    if len(text.encode()) > MAX_DRAFT_BYTES:
        return _draft_error("That file is larger than 512 KB; a flow file is usually under 50 KB.")
    try:
        if _has_aliases(text):
            return _draft_error("The draft repeats parts through YAML aliases (*name); write each part "
                                "out in full, as config/ivr.yaml does, and check it again.", text)
        raw = parse_flow_text(text)
    except (yaml.YAMLError, ConfigError) as e:
        return _draft_error(f"The draft is not valid YAML: {e}", text)
    audit.record_now("flow_checked", detail=f"{len(text.encode())} bytes")
    audio = audio_dir_of(Path(current_app.config["IVR_FILE"]))  # the drafts' recordings: the live ones'
    return _page(build_map(raw, audio), "draft", text), 200


def _has_aliases(text: str) -> bool:
    """True when the YAML refers back to an anchor. A few kilobytes of nested aliases expand
    into hundreds of megabytes once drawn (the "billion laughs"), so drafts may not use them.
    Read as a stream of parser events, which never expands anything; raises yaml.YAMLError."""
    return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader))


def _draft_error(message: str, text: str = "") -> tuple[str, int]:
    return _page(FlowMap({}, [], [], message), "draft", text), 400
