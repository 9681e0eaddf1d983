"""GET /healthz: can this deployment take calls? Database, Redis, workers, flow file, and
whether callers are offered callbacks (not without TWILIO_CALLER_ID).

Anyone (a load balancer, a monitoring probe) gets each part's ok flag, the worker count,
whether callbacks are offered and, for a part that is down, the error's class name. The details
that map the deployment (the database kind, the flow file's name, its languages and size, where
each speech model comes from, why callbacks are off) are shown only to signed-in supervisors and
admins.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask_login import current_user
from sqlalchemy import text

from callcenter.access import public
from db import session as db
from db.broker import redis_for
from db.states import Role
from ivr.telephony.numbers import callback_caller_id_problem

bp = Blueprint("health", __name__)
SEE_DETAILS = (Role.SUPERVISOR, Role.ADMIN)
# What anonymous callers see of each part: no file names, paths or database kinds.
PUBLIC_KEYS = {"ok", "error", "count", "offered"}


def _database() -> dict[str, Any]:
    try:
        db.current().execute(text("SELECT 1"))
        return {"ok": True, "dialect": db.engine().dialect.name}
    except Exception as e:  # reported, not raised: health must answer when things are down
        return {"ok": False, "error": type(e).__name__}


def _redis() -> tuple[dict[str, Any], dict[str, Any]]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": False, "error": "REDIS_URL not set"}, {"ok": False, "count": 0}
    try:
        from rq import Worker

        conn = redis_for(url)
        conn.ping()
        workers = Worker.all(connection=conn)
        return {"ok": True}, {"ok": bool(workers), "count": len(workers)}
    except Exception as e:
        return {"ok": False, "error": type(e).__name__}, {"ok": False, "count": 0}


def _speech_models(languages: list[str]) -> dict[str, Any]:
    """Where each configured language's Vosk model comes from (nothing is loaded here)."""
    from config import settings
    from speech.registry import find_source

    found = {code: find_source(code, settings.MODELS_DIR) for code in languages}
    return {"ok": any(found.values()),
            "languages": {code: src.origin if src else "no model" for code, src in found.items()}}


def _callbacks() -> dict[str, Any]:
    """Calls still work without callbacks (callers are offered a message), so not a 503."""
    problem = callback_caller_id_problem(current_app.config)
    return {"ok": True, "offered": True} if problem is None else {"ok": False, "offered": False,
                                                                  "reason": problem}


@bp.get("/healthz")
@public
def healthz() -> tuple[Any, int]:
    flow = current_app.extensions["jobline.flow"]
    redis, workers = _redis()
    report = {
        "database": _database(),
        "redis": redis,
        "workers": workers,
        "config": {"ok": True, "flow": flow.source, "languages": [lang.code for lang in flow.languages],
                   "nodes": len(flow.nodes)},
        "speech_models": _speech_models([lang.code for lang in flow.languages]),
        "callbacks": _callbacks(),
    }
    ok = report["database"]["ok"] and redis["ok"]
    if not (current_user.is_authenticated and current_user.role in SEE_DETAILS):
        report = {part: {k: v for k, v in facts.items() if k in PUBLIC_KEYS}
                  for part, facts in report.items()}
    report["ok"] = ok
    report["degraded"] = _degraded(report)
    # 503 only when calls cannot be served: without the database. Without Redis or a worker the
    # menus still answer (a load balancer must keep sending calls), what waits is listed.
    return jsonify(report), 200 if report["database"]["ok"] else 503


def _degraded(report: dict[str, Any]) -> list[str]:
    """What callers and advisers go without right now, in sentences (empty when all is well)."""
    out = []
    if not report["database"]["ok"]:
        out.append("The database is not answering: callers hear an apology and are offered a message.")
    if not report["redis"]["ok"]:
        out.append("Redis is not answering: callers still hear the menus; recordings wait to be "
                   "transcribed and callbacks to be dialled until it is back.")
    elif not report["workers"]["ok"]:
        out.append("No worker is running: recordings wait to be transcribed and callbacks to be "
                   "dialled until one starts.")
    if not report["callbacks"]["ok"]:
        out.append("Callers are not offered callbacks (a supervisor sees why here).")
    return out
