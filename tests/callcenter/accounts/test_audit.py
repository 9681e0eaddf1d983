"""The audit log, as an admin reads it: who revealed an ID, played a recording, exported a CSV,
changed an account, erased a person's data; never the personal value itself."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from tests.support.desk import waiting_call
from tests.support.page_parts import audit_rows

PHONE, ID_NUMBER = "+447700900123", "12345674"


@pytest.fixture
def app(make_app, tmp_path: Path):
    return make_app(RECORDINGS_DIR=str(tmp_path))


def test_the_log_lists_each_sensitive_action_without_personal_values(app, signed_in, accounts, s, tmp_path):
    audio = tmp_path / "name.wav"
    audio.write_bytes(b"RIFF" + b"\0" * 40)
    entry = waiting_call(s, phone=PHONE, id_number=ID_NUMBER, audio_path=str(audio))
    s.commit()
    rec_id = entry.call.recordings[0].id
    supervisor, admin = signed_in("supervisor"), signed_in("admin")

    assert supervisor.send("POST", f"/api/entries/{entry.id}/reveal-id").get_json()["id_number"] == ID_NUMBER
    assert supervisor.get(f"/api/recordings/{rec_id}/audio").status_code == 200
    export = supervisor.get("/reports/calls.csv")
    export.get_data()
    assert export.status_code == 200
    agent = accounts["agent"]
    changed = admin.client.post(f"/admin/users/{agent.id}", data={
        "csrf_token": admin.token, "name": "Renamed Agent", "role": "agent", "queues": ["general"],
        "languages": ["en"]})
    assert changed.status_code == 200
    erased = admin.client.post("/admin/privacy/erase", data={
        "csrf_token": admin.token, "phone": PHONE, "confirm": "ERASE"})
    assert erased.status_code == 200

    page = admin.get("/admin/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = audit_rows(html)
    assert [action for action, _ in rows] == [  # newest first
        "erasure", "account_changed", "export_csv", "play_recording", "reveal_id"]
    who = {action: cells[1] for action, cells in rows}
    assert who == {"erasure": "admin1", "account_changed": "admin1", "export_csv": "supervisor1",
                   "play_recording": "supervisor1", "reveal_id": "supervisor1"}
    on = {action: cells[3] for action, cells in rows}
    assert on["reveal_id"] == f"call {entry.call_id}" and on["play_recording"] == f"recording {rec_id}"
    assert on["account_changed"] == f"user {agent.id}"
    for secret in (PHONE, ID_NUMBER, "Maria Lopez", "my benefit payment"):
        assert secret not in html
    stored = [(e.action, e.detail) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert all(PHONE not in str(d) and ID_NUMBER not in str(d) for _, d in stored)


def test_the_csv_download_has_every_entry_and_is_itself_recorded(app, signed_in):
    supervisor, admin = signed_in("supervisor"), signed_in("admin")
    supervisor.get("/reports/queues.csv").get_data()
    response = admin.get("/admin/audit.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["action"], r["username"], r["detail"]) for r in lines] == [
        ("export_csv", "supervisor1", "queues report")]
    rows = audit_rows(admin.get("/admin/audit?action=audit_export").get_data(as_text=True))
    assert [(a, cells[1], cells[4]) for a, cells in rows] == [("audit_export", "admin1", "1 entries")]


def test_account_creation_and_deactivation_are_recorded(app, signed_in, accounts, s):
    admin = signed_in("admin")
    created = admin.client.post("/admin/users", data={
        "csrf_token": admin.token, "username": "newbie", "name": "New Adviser", "role": "agent"})
    assert created.status_code == 201
    admin.client.post(f"/admin/users/{accounts['agent'].id}/deactivate", data={"csrf_token": admin.token})
    assert [(e.action, e.object_type, e.username) for e in s.scalars(
        select(AuditEntry).order_by(AuditEntry.id))] == [
        ("account_created", "user", "admin1"), ("account_deactivated", "user", "admin1")]


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_only_admins_read_the_audit_log(app, signed_in, role):
    desk = signed_in(role)
    assert desk.get("/admin/audit").status_code == 403
    assert desk.get("/admin/audit.csv").status_code == 403
