"""The adviser's desk page (/desk), with its template and static files.

The page is a shell: callcenter/desk/static/desk.js polls /api/desk and draws the waiting list, the
caller summary and the current call, so the page and any other client use the same API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from callcenter.access import nav, role_required
from config.flow import Flow
from db.states import Role
from ivr.telephony.numbers import callback_caller_id_problem

bp = Blueprint("desk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/desk")
POLL_MS = 1500  # the waiting list is at most this old (the brief: updates within 2 s)


def desk_config(flow: Flow) -> dict[str, Any]:
    """What desk.js needs from the flow file: labels for codes, in the flow's order."""
    return {
        "pollMs": POLL_MS,
        "dispositions": [{"code": c, "label": label} for c, label in flow.dispositions.items()],
        "queues": [{"name": q.name, "label": q.label["en"], "service_level_s": q.service_level_s}
                   for q in flow.queues.values()],
        "languages": {lang.code: lang.name for lang in flow.languages},
        "directory": [{"code": e.code, "label": e.label} for e in flow.directory.values()],
        # The flow's own words for an intent (config/ivr.yaml intents.routes.*.label), as reports use.
        "intents": {code: label.get("en") or code for code, label in flow.intent_labels.items()},
    }


@bp.get("/desk")
@nav("Desk", order=10)
@role_required(Role.AGENT, Role.SUPERVISOR)
def desk() -> str:
    # Without a phone number, calls are put through to the browser (ivr/queue/connect.py).
    return render_template("desk.html", config=desk_config(current_app.extensions["jobline.flow"]),
                           browser_phone=not current_user.user.phone,
                           callbacks_off=callback_caller_id_problem(current_app.config))
