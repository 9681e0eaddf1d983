"""The retention purge (speech/retention.py) on a scripted day: personal fields past their
retention are cleared, what is recent stays, and a supervisor's report of that day shows the
same figures afterwards (from raw rows and from rebuilt rollups)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.reports.rollups.build import roll_up
from db import session as db
from db.models import AuditEntry, Call, Callback, Caller, Capture, QueueEntry, Recording
from speech.retention import purge_personal_data
from tests.support.reports_script import NOW, D, Script, at

DAY = {"from": "2026-11-23", "to": "2026-11-23"}
PHONE, OTHER, ID_NUMBER = "+447700900123", "+447700900555", "12345674"


@pytest.fixture
def day(reports_app) -> dict[str, int]:
    """Two callers on day D: one talks to an adviser (notes, ID, a transcript, a completed callback
    placed by an outbound call); one abandons. Plus an old audit entry and today's."""
    sc = Script()
    maria, other = sc.caller(PHONE), sc.caller(OTHER)
    c1 = sc.call(at(D, 10), "answered", caller=maria, nodes=("main", "benefits"), reason="benefit_payment")
    leg = sc.leg(c1, "general", at(D, 10, 1), "answered", wait=30, talk=200, acw=20)
    leg.notes = "Maria: payment late since May"
    leg.transfer_note = "Maria needs the form in Spanish"  # as if a transfer brought her here
    sc.add(Capture(call_id=c1.id, field="id_number", value=ID_NUMBER, status="captured",
                   created_at=at(D, 10, 0, 30)),
           Recording(sid="RE" + "1" * 32, call_id=c1.id, kind="reason", text="my payment is late",
                     words=[{"word": "late", "conf": 0.9}], numbers=ID_NUMBER, status="transcribed",
                     intent="benefit_payment", created_at=at(D, 10, 0, 40)))
    c2 = sc.call(at(D, 11), "abandoned", caller=other)
    sc.leg(c2, "general", at(D, 11, 1), "abandoned", wait=40)
    cb = Callback(call_id=c2.id, queue="general", phone=OTHER, status="completed", attempts=1,
                  requested_at=at(D, 11, 1, 40), completed_at=at(D, 12), notes="Called back")
    sc.add(cb)
    out = Call(sid="CA" + "f" * 32, direction="outbound-api", to_number=OTHER, started_at=at(D, 12),
               status="completed", outcome="answered")
    sc.add(out, AuditEntry(username="admin1", action="reveal_id", object_type="call", object_id=c1.id,
                           at=NOW - timedelta(days=800)),
           AuditEntry(username="admin1", action="reveal_id", object_type="call", object_id=c1.id, at=NOW))
    ids = {"c1": c1.id, "c2": c2.id, "out": out.id, "leg": leg.id, "cb": cb.id}
    sc.done()
    return ids


def _stats(client) -> dict:
    answer = client.get("/api/stats", query_string=DAY)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_past_retention_the_personal_fields_go_and_the_report_is_unchanged(day, reports_client, reports_app):
    supervisor = reports_client("supervisor")
    before = _stats(supervisor)
    assert before["ivr"]["calls"] >= 2  # the day is in the report

    counts = purge_personal_data(now=NOW + timedelta(days=400), uploads_dir=Path("/nonexistent"))

    assert counts == {"caller_numbers": 2, "called_numbers": 1, "id_numbers": 1, "transcripts": 1,
                      "notes": 3, "callback_numbers": 1, "audit_entries": 1, "webphone_uploads": 0}
    with db.SessionLocal() as s:
        assert list(s.scalars(select(Caller.phone))) == [None, None]
        assert s.get(Call, day["out"]).to_number is None
        assert [c.value for c in s.scalars(select(Capture))] == [None]
        rec = s.scalar(select(Recording))
        assert (rec.text, rec.words, rec.numbers) == (None, None, None)
        assert (rec.status, rec.intent) == ("transcribed", "benefit_payment")  # kept for reports
        assert s.get(QueueEntry, day["leg"]).notes is None
        assert s.get(QueueEntry, day["leg"]).transfer_note is None  # a transfer's note is notes too
        cb = s.get(Callback, day["cb"])
        assert (cb.phone, cb.notes, cb.status) == (None, None, "completed")
        c1 = s.get(Call, day["c1"])
        assert (c1.status, c1.outcome, c1.reason, c1.caller_id is not None) == (
            "completed", "answered", "benefit_payment", True)
        assert [e.at for e in s.scalars(select(AuditEntry))] == [NOW]
    assert _stats(supervisor) == before
    with db.SessionLocal.begin() as s:  # and the same from rollups rebuilt after the purge
        roll_up(s, reports_app.extensions["jobline.flow"], NOW, rebuild=True)
    assert _stats(supervisor) == before
    # a second run finds nothing more
    assert set(purge_personal_data(now=NOW + timedelta(days=400), uploads_dir=Path("/nonexistent"))
               .values()) == {0}


def test_within_retention_nothing_is_cleared(day):
    counts = purge_personal_data(now=NOW + timedelta(days=30), uploads_dir=Path("/nonexistent"))
    # 30 days on: only the closed callback's number (CALLBACK_NUMBER_RETENTION_DAYS, 30) and the
    # audit entry already 800 days old (AUDIT_RETENTION_DAYS, 730) have expired
    assert counts == {"caller_numbers": 0, "called_numbers": 0, "id_numbers": 0, "transcripts": 0,
                      "notes": 0, "callback_numbers": 1, "audit_entries": 1, "webphone_uploads": 0}
    with db.SessionLocal() as s:
        assert sorted(s.scalars(select(Caller.phone))) == [PHONE, OTHER]
        assert [c.value for c in s.scalars(select(Capture))] == [ID_NUMBER]
        assert s.scalar(select(Recording.text)) == "my payment is late"


def test_a_caller_who_called_again_recently_keeps_their_number(day):
    with db.SessionLocal.begin() as s:
        maria = s.scalar(select(Caller).where(Caller.phone == PHONE))
        s.add(Call(sid="CA" + "e" * 32, caller_id=maria.id, started_at=NOW + timedelta(days=390)))
    purge_personal_data(now=NOW + timedelta(days=400), uploads_dir=Path("/nonexistent"))
    with db.SessionLocal() as s:
        assert list(s.scalars(select(Caller.phone).order_by(Caller.id))) == [PHONE, None]


def test_web_phone_uploads_older_than_a_day_are_deleted(reports_app, tmp_path):
    old, fresh = tmp_path / "old.wav", tmp_path / "fresh.wav"
    for path in (old, fresh):
        path.write_bytes(b"RIFF" + b"\0" * 40)
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(old, (two_days_ago, two_days_ago))
    assert purge_personal_data(uploads_dir=tmp_path)["webphone_uploads"] == 1
    assert (old.exists(), fresh.exists()) == (False, True)


def test_a_retention_of_zero_days_stops_the_boot_naming_the_variable(make_app, monkeypatch):
    from config import settings

    monkeypatch.setattr(settings, "NOTES_RETENTION_DAYS", 0)
    with pytest.raises(settings.ConfigError, match="NOTES_RETENTION_DAYS=0"):
        make_app()
