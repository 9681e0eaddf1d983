"""GET /healthz tells the PES's IT team whether the helpline can take calls."""

from __future__ import annotations

import pytest

PASSWORD = "correct-horse-battery"


def _signed_in(app, role: str):
    from callcenter.accounts.users import create_user
    from db import session as db
    from tests.support.desk import sign_in

    with db.SessionLocal() as s:
        create_user(s, f"{role}.on.call", "On Call", role, PASSWORD)
        s.commit()
    client = app.test_client()
    assert sign_in(client, f"{role}.on.call", PASSWORD).status_code == 302
    return client


def test_health_reports_database_redis_workers_and_flow_to_a_supervisor(app):
    body = _signed_in(app, "supervisor").get("/healthz").get_json()
    assert body["database"]["ok"] is True and body["database"]["dialect"] in {"sqlite", "postgresql"}
    assert body["redis"]["ok"] is True
    assert body["workers"]["count"] == 0 and body["workers"]["ok"] is False  # none started in tests
    assert body["config"]["languages"] == ["en", "es", "fr", "ko", "sw"]
    assert body["speech_models"]["languages"]["ko"] in {"package", "env"}  # shipped with Jobline
    assert body["speech_models"]["languages"]["en"] in {"no model", "models_dir", "env"}
    assert body["ok"] is True


def test_health_says_when_redis_is_unreachable(make_app):
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 200  # the menus still answer: a load balancer keeps sending calls
    body = resp.get_json()
    assert body["redis"] == {"ok": False, "error": "ConnectionError"} and body["ok"] is False
    assert body["degraded"] == ["Redis is not answering: callers still hear the menus; recordings "
                                "wait to be transcribed and callbacks to be dialled until it is back."]


def test_health_is_503_only_when_the_database_is_down(make_app, tmp_path):
    missing = tmp_path / "no-such-folder" / "jobline.db"  # SQLite cannot open it: a real failure
    resp = make_app(DATABASE_URL=f"sqlite:///{missing}").test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["degraded"][0].startswith("The database is not answering")


def test_a_healthy_deployment_lists_nothing_degraded_but_a_missing_worker(app):
    body = app.test_client().get("/healthz").get_json()
    assert body["ok"] is True  # no worker runs in tests: that alone is what it lists
    assert body["degraded"] == ["No worker is running: recordings wait to be transcribed and callbacks "
                                "to be dialled until one starts."]


@pytest.mark.parametrize("who", ["anonymous", "agent"])
def test_health_shows_others_no_paths_or_database_kind(app, who):
    client = app.test_client() if who == "anonymous" else _signed_in(app, who)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["database"] == {"ok": True} and body["redis"] == {"ok": True}
    assert body["workers"] == {"ok": False, "count": 0} and body["config"] == {"ok": True}
    assert body["speech_models"] == {"ok": True}
    text = response.get_data(as_text=True)
    for detail in ("sqlite", "postgresql", "ivr.yaml", "package", "/"):
        assert detail not in text, detail
