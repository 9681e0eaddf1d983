"""Privacy requests (GDPR arts. 15 and 17): an admin finds a person by phone or ID number,
downloads what Jobline holds about them, or erases it; the reports keep their totals."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Call, Callback, Caller, Capture, QueueEntry, Recording
from tests.support.desk import waiting_call
from tests.support.env import OPEN_TIME
from tests.support.page_parts import audit_rows, counts_on

MARIA = "+447700900123"
OTHER = "+447700900555"
DAY = {"from": OPEN_TIME.date().isoformat(), "to": OPEN_TIME.date().isoformat()}


@pytest.fixture
def app(make_app, tmp_path: Path):
    return make_app(RECORDINGS_DIR=str(tmp_path))


@pytest.fixture
def people(app, s, tmp_path: Path) -> dict[str, object]:
    """Maria called twice (a name recording with audio, notes, a callback), once from another
    phone giving her ID number; someone else called once."""
    audio = tmp_path / "maria-name.wav"
    audio.write_bytes(b"RIFF" + b"\0" * 40)
    first = waiting_call(s, phone=MARIA, audio_path=str(audio))
    first.status, first.outcome, first.notes = "left", "callback", "Maria: payment late since May"
    s.add(Callback(call_id=first.call_id, queue_entry_id=first.id, queue="benefits", phone=MARIA,
                   status="completed", notes="Called back, explained the delay", attempts=1))
    second = waiting_call(s, phone=MARIA, id_number=None, waited_s=300, name=None)
    second.status, second.outcome = "left", "abandoned"
    from_work = waiting_call(s, phone="+447700900321", id_number="12345674", name=None, reason=None)
    from_work.status, from_work.outcome = "left", "abandoned"
    other = waiting_call(s, phone=OTHER, id_number="99999997", name="Someone Else",
                         reason="employer question", intent=None)
    other.notes = "Other caller's notes"
    s.commit()
    return {"audio": audio, "calls": [first.call_id, second.call_id, from_work.call_id],
            "other": other.call_id}


def _stats(desk) -> dict:
    answer = desk.client.get("/api/stats", query_string=DAY)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def _post(desk, path: str, **form: str):
    return desk.client.post(path, data={"csrf_token": desk.token, **form})


def test_find_by_phone_shows_what_is_held(people, signed_in):
    admin = signed_in("admin")
    page = _post(admin, "/admin/privacy/find", phone="+44 7700 900123")
    assert page.status_code == 200
    # two calls from her phone (and the one with her callback number); one caller number + the
    # callback's number; her ID number on the first call; name and reason transcripts of the
    # first call and the reason of the second; one audio file; the call's notes and the callback's.
    assert counts_on(page.get_data(as_text=True)) == {
        "calls": 2, "phone_numbers": 2, "id_numbers": 1, "transcripts": 3, "audio_files": 1, "notes": 2}


def test_find_by_id_number_includes_calls_from_other_phones(people, signed_in):
    page = _post(signed_in("admin"), "/admin/privacy/find", id_number="1234 5674")
    assert counts_on(page.get_data(as_text=True))["calls"] == 2  # her first call, and from work


def test_export_holds_her_data_and_nobody_else_s(people, signed_in, s):
    admin = signed_in("admin")
    response = _post(admin, "/admin/privacy/export", phone=MARIA)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["phone_numbers"] == [MARIA]
    assert len(data["calls"]) == 2
    second, first = sorted(data["calls"], key=lambda c: len(c["recordings"]))  # first: name and reason
    assert [r["transcript"] for r in second["recordings"]] == ["my benefit payment has not arrived"]
    assert [(d["field"], d["value"]) for d in first["details_given"]] == [("id_number", "12345674")]
    assert {r["transcript"] for r in first["recordings"]} == {"Maria Lopez",
                                                              "my benefit payment has not arrived"}
    assert first["adviser_contacts"][0]["notes"] == "Maria: payment late since May"
    assert [(c["phone"], c["notes"]) for c in data["callbacks"]] == [
        (MARIA, "Called back, explained the delay")]
    text = response.get_data(as_text=True)
    assert OTHER not in text and "Other caller" not in text and "99999997" not in text
    assert [e.action for e in s.scalars(select(AuditEntry))] == ["subject_export"]


def test_erasure_needs_the_confirmation(people, signed_in, s):
    page = _post(signed_in("admin"), "/admin/privacy/erase", phone=MARIA, confirm="yes")
    assert page.status_code == 400 and "Nothing was erased" in page.get_data(as_text=True)
    assert s.scalar(select(Caller.phone).where(Caller.phone == MARIA)) == MARIA
    assert people["audio"].is_file()


def test_erasure_by_phone_clears_her_data_shows_counts_and_keeps_report_totals(people, signed_in, s):
    supervisor, admin = signed_in("supervisor"), signed_in("admin")
    before = _stats(supervisor)
    calls_before = s.scalar(select(func.count(Call.id)))
    page = _post(admin, "/admin/privacy/erase", phone=MARIA, confirm="ERASE")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert counts_on(html) == {"phone_numbers": 2, "id_numbers": 1, "transcripts": 3, "audio_files": 1,
                               "notes": 2}
    assert MARIA not in html  # the erased number is not shown back

    s.expire_all()
    mine = people["calls"][:2]
    assert s.scalar(select(func.count(Caller.id)).where(Caller.phone == MARIA)) == 0
    assert [c.value for c in s.scalars(select(Capture).where(Capture.call_id.in_(mine)))] == [None]
    recs = s.scalars(select(Recording).where(Recording.call_id.in_(mine))).all()
    assert [(r.text, r.words, r.numbers, r.audio_path) for r in recs] == [(None,) * 4] * 3
    assert not people["audio"].exists()
    entries = s.scalars(select(QueueEntry).where(QueueEntry.call_id.in_(mine)))
    assert [e.notes for e in entries] == [None, None]
    assert [(c.phone, c.notes) for c in s.scalars(select(Callback))] == [(None, None)]
    # the other person is untouched, and the calls stay for the reports
    other = s.get(Call, people["other"])
    assert other.caller.phone == OTHER
    assert other.captures[0].value == "99999997"
    assert s.scalar(select(func.count(Call.id))) == calls_before
    assert [(s.get(Call, c).queue, s.get(Call, c).status) for c in mine] == [("benefits", "in-progress")] * 2
    assert _stats(supervisor) == before
    # and the admin finds nothing left under her number
    again = _post(admin, "/admin/privacy/find", phone=MARIA).get_data(as_text=True)
    assert "Jobline holds nothing under this number" in again
    rows = audit_rows(admin.get("/admin/audit").get_data(as_text=True))
    assert [a for a, _ in rows] == ["erasure"]
    assert MARIA not in str(rows) and "12345674" not in str(rows)


def test_erasure_clears_a_transfer_s_note_for_the_next_adviser(people, signed_in, s):
    leg = s.scalar(select(QueueEntry).where(QueueEntry.call_id == people["calls"][1]))
    leg.transfer_note = "Maria needs the form in Spanish"
    s.commit()
    page = _post(signed_in("admin"), "/admin/privacy/erase", phone=MARIA, confirm="ERASE")
    assert counts_on(page.get_data(as_text=True))["notes"] == 3  # two notes and the transfer's
    s.expire_all()
    assert s.get(QueueEntry, leg.id).transfer_note is None


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_only_admins_reach_privacy_requests(people, signed_in, role):
    desk = signed_in(role)
    assert desk.get("/admin/privacy").status_code == 403
    assert _post(desk, "/admin/privacy/find", phone=MARIA).status_code == 403
    assert _post(desk, "/admin/privacy/export", phone=MARIA).status_code == 403
    assert _post(desk, "/admin/privacy/erase", phone=MARIA, confirm="ERASE").status_code == 403


def test_a_search_without_a_number_says_what_to_give(app, signed_in):
    page = _post(signed_in("admin"), "/admin/privacy/find", phone="", id_number="")
    assert page.status_code == 400 and "phone number or their ID number" in page.get_data(as_text=True)


def test_erasure_fails_an_open_callback_so_no_one_dials_a_cleared_number(app, signed_in, s):
    entry = waiting_call(s, phone=MARIA)
    s.add(Callback(call_id=entry.call_id, queue="benefits", phone=MARIA, status="pending",
                   requested_at=OPEN_TIME - timedelta(minutes=1)))
    s.commit()
    _post(signed_in("admin"), "/admin/privacy/erase", phone=MARIA, confirm="ERASE")
    s.expire_all()
    assert [(c.status, c.phone) for c in s.scalars(select(Callback))] == [("failed", None)]
