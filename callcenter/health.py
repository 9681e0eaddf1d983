"""GET /healthz: can this deployment take calls? Database, Redis, workers, flow file, and
whether callers are offered callbacks (not without TWILIO_CALLER_ID; the answer says why)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from callcenter.access import public
from db import session as db
from db.broker import redis_for
from ivr.telephony.numbers import callback_caller_id_problem

bp = Blueprint("health", __name__)


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
    report["ok"] = ok
    return jsonify(report), 200 if ok else 503
