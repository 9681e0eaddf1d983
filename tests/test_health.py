"""GET /healthz tells the PES's IT team whether the helpline can take calls."""

from __future__ import annotations


def test_health_reports_database_redis_workers_and_flow(client):
    body = client.get("/healthz").get_json()
    assert body["database"]["ok"] is True and body["database"]["dialect"] in {"sqlite", "postgresql"}
    assert body["redis"]["ok"] is True
    assert body["workers"]["count"] == 0 and body["workers"]["ok"] is False  # none started in tests
    assert body["config"]["languages"] == ["en", "es", "fr", "ko"]
    assert body["speech_models"]["languages"]["ko"] in {"package", "env"}  # shipped with Jobline
    assert body["speech_models"]["languages"]["en"] in {"no model", "models_dir", "env"}
    assert body["ok"] is True


def test_health_says_when_redis_is_unreachable(make_app):
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["redis"] == {"ok": False, "error": "ConnectionError"}
