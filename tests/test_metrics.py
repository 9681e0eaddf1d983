"""GET /metrics: what the operators' Prometheus sees of the helpdesk, read from the same database
and Redis the callers and advisers use, open only to the monitoring addresses or its token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from db import session as db
from db.models import Call, Recording, User
from speech.jobs import enqueue_transcription
from tests.support.env import OPEN_TIME
from tests.support.queue import ask_callback, to_queue

TOKEN = "scrape-token-" + "7" * 20
NUMBERS = ("+447700900123", "+447700900456", "+447700900789")


def scrape(client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def voice_webhooks(samples) -> float:
    return samples.get(("jobline_webhook_duration_seconds_count", (("route", "/ivr/voice"),)), 0.0)


def _adviser(s, name: str, status: str) -> None:
    s.add(User(username=name, name=name.title(), role="agent", password_hash="-", status=status,
               queues=["general"], languages=["en"]))


def test_a_scrape_shows_the_floor_as_it_is(app, phone, redis_url):
    client = app.test_client()
    voice_before = voice_webhooks(scrape(client))
    with db.SessionLocal.begin() as s:  # on duty: callers are put in line, not offered a message
        _adviser(s, "ana", "available")
        _adviser(s, "ben", "available")
        _adviser(s, "cy", "break")
    to_queue(phone, NUMBERS[0])  # waits in the general queue
    ask_callback(phone, NUMBERS[1])  # asked to be called back, then hung up
    phone(NUMBERS[2]).dial()  # still choosing a language
    with db.SessionLocal.begin() as s:
        call = s.query(Call).first()
        recording = Recording(sid="RE" + "4" * 32, call_id=call.id, kind="reason", status="pending",
                              created_at=OPEN_TIME - timedelta(seconds=90))
        s.add(recording)
    enqueue_transcription(Redis.from_url(redis_url), recording.id)

    samples = scrape(client)

    assert samples[("jobline_callers_waiting", (("queue", "general"),))] == 1
    assert samples[("jobline_callers_waiting", (("queue", "benefits"),))] == 0
    assert samples[("jobline_callbacks_pending", (("queue", "general"),))] == 1
    assert samples[("jobline_calls_in_ivr", ())] == 1
    assert samples[("jobline_advisers", (("status", "available"),))] == 2
    assert samples[("jobline_advisers", (("status", "break"),))] == 1
    assert samples[("jobline_advisers", (("status", "busy"),))] == 0
    assert samples[("jobline_transcription_lag_seconds", ())] == 90  # the test clock is OPEN_TIME
    assert samples[("jobline_rq_jobs_queued", (("rq_queue", "speech"),))] == 1
    assert samples[("jobline_rq_jobs_queued", (("rq_queue", "callbacks"),))] == 0
    assert samples[("jobline_up", (("part", "database"),))] == 1
    assert samples[("jobline_up", (("part", "redis"),))] == 1
    assert voice_webhooks(samples) == voice_before + 3  # three calls came in
    routes = {dict(labels).get("route") for name, labels in samples if name.startswith("jobline_webhook")}
    assert "/ivr/queue/hold/<int:entry_id>" in routes  # the rule, not each caller's own path
    assert [r for r in routes if r and re.search(r"/\d", r)] == []


def test_no_phone_number_or_call_sid_is_in_a_scrape(app, phone):
    p = to_queue(phone, NUMBERS[0])
    body = app.test_client().get("/metrics").text
    assert all(n not in body and n[1:] not in body for n in NUMBERS)
    assert p.sid not in body


@pytest.mark.parametrize("redis", ["redis://127.0.0.1:1/0", ""], ids=["unreachable", "unset"])
def test_a_scrape_says_redis_is_down_instead_of_showing_empty_queues(make_app, redis):
    samples = scrape(make_app(REDIS_URL=redis).test_client())
    assert samples[("jobline_up", (("part", "redis"),))] == 0
    assert not [name for name, _ in samples if name == "jobline_rq_jobs_queued"]
    assert samples[("jobline_callers_waiting", (("queue", "general"),))] == 0  # the database still answers


def test_other_addresses_are_refused_with_a_sentence(app):
    resp = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 403
    assert "METRICS_ALLOWED_ADDRESSES" in resp.text and "METRICS_TOKEN" in resp.text
    assert "jobline_" not in resp.text


@pytest.mark.parametrize("header, status", [
    (f"Bearer {TOKEN}", 200),
    ("Bearer " + "x" * len(TOKEN), 403),
    (TOKEN, 403),  # the scheme is part of it
    ("", 403),
])
def test_another_address_needs_the_token(make_app, header, status):
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    resp = client.get("/metrics", headers={"Authorization": header} if header else {},
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == status


def test_allowed_networks_are_open_without_a_token(make_app):
    client = make_app(METRICS_ALLOWED_ADDRESSES=("10.20.0.0/16",)).test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback is no longer on the list


def test_a_proxy_on_loopback_does_not_open_it_to_the_world(app):
    # nginx on the same machine forwards everyone from 127.0.0.1; with TRUSTED_PROXIES unset
    # Jobline cannot tell who asked, so the address alone is not enough.
    resp = app.test_client().get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert resp.status_code == 403
