"""CSV downloads open cleanly in a spreadsheet: the UTF-8 byte order mark, the header on line 1,
labels and h:mm:ss where a supervisor reads them, the formulas after the table; the call records
carry the disposition, and the advisers' notes for the roles that read them on the desk."""

from __future__ import annotations

import pytest

from callcenter.accounts import users as accounts
from tests.support.csv_download import BOM, csv_parts, csv_table
from tests.support.reports_script import NOW, at

DAY = {"from": "2026-11-24", "to": "2026-11-24"}
STRONG = "correct horse battery 9"
NOTES = "Sending her P45 by post.\nCall back on Friday about the claim."


@pytest.mark.parametrize("path, first", [
    ("/reports/queues.csv", "queue"), ("/reports/advisers.csv", "adviser_id"),
    ("/reports/ivr.csv", "section"), ("/reports/calls.csv", "call_sid"), ("/reports/survey.csv", "by")])
def test_a_download_starts_with_the_bom_and_its_header_row(script, reports_client, path, first):
    call = script.call(at(NOW.replace(hour=0), 9), "answered", nodes=("main", "adviser"), reason="benefits")
    script.leg(call, "benefits", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, talk=60)
    script.done()
    response = reports_client("supervisor").get(path, query_string=DAY)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    line_1 = response.get_data().split(b"\r\n", 1)[0]
    assert line_1.startswith(BOM + first.encode() + b",")  # no note or blank line above the header
    table, notes = csv_parts(response)
    assert table[0][0] == first and len(table) > 1
    assert all(len(row) == len(table[0]) for row in table)  # one rectangle, then the notes
    assert notes[0][0].startswith("# Jobline") and "from 2026-11-24" in notes[0]
    assert any(n[0].startswith("# formula ") for n in notes)


def test_the_call_records_carry_the_disposition_and_a_supervisor_reads_the_notes(script, reports_client):
    adviser, _ = accounts.create_user(script.s, "ada", "Ada Lovell", "agent", password=STRONG)
    call = script.call(at(NOW.replace(hour=0), 9), "answered", nodes=("main", "adviser"))
    leg = script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, agent=adviser.id,
                     talk=60, acw=30)
    leg.disposition, leg.notes = "escalated", NOTES
    script.done()
    rows = csv_table(reports_client("supervisor").get("/reports/calls.csv", query_string=DAY))
    header, row = rows
    assert row[header.index("disposition")] == "Escalated to a specialist"
    assert row[header.index("notes")] == NOTES  # the line break stays inside its cell
    assert row[header.index("adviser")] == "Ada Lovell"


def test_an_admin_gets_the_disposition_but_not_the_notes(script, reports_client):
    call = script.call(at(NOW.replace(hour=0), 9), "answered", nodes=("main", "adviser"))
    leg = script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, talk=60)
    leg.disposition, leg.notes = "resolved", NOTES
    script.done()
    response = reports_client("admin").get("/reports/calls.csv", query_string=DAY)
    header, row = csv_table(response)
    assert "notes" not in header and b"P45" not in response.get_data()
    assert row[header.index("disposition")] == "Resolved on the call"


def test_a_note_a_spreadsheet_would_run_is_text(script, reports_client):
    call = script.call(at(NOW.replace(hour=0), 9), "answered", nodes=("main", "adviser"))
    leg = script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, talk=60)
    leg.notes = '=HYPERLINK("http://x.test")'
    script.done()
    header, row = csv_table(reports_client("supervisor").get("/reports/calls.csv", query_string=DAY))
    assert row[header.index("notes")] == "'" + leg.notes


def test_codes_come_with_the_flows_labels_and_durations_read_as_hours(script, reports_client):
    call = script.call(at(NOW.replace(hour=0), 9), "answered", nodes=("main", "adviser"), reason="employer",
                       language="es", duration_s=3_900)
    call.duration_s = 3_900  # Twilio's CallDuration
    script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=75, talk=3_725, language="es")
    script.done()
    supervisor = reports_client("supervisor")
    header, row = csv_table(supervisor.get("/reports/calls.csv", query_string=DAY))
    shown = dict(zip(header, row, strict=True))
    assert (shown["queue"], shown["queue_label"]) == ("general", "General enquiries")
    assert (shown["language"], shown["language_name"]) == ("es", "Español")
    assert (shown["reason"], shown["reason_label"]) == ("employer", "Employers and vacancies")  # its label
    assert (shown["wait_hms"], shown["talk_hms"], shown["duration_hms"]) == ("0:01:15", "1:02:05", "1:05:00")
    queues = csv_table(supervisor.get("/reports/queues.csv", query_string=DAY))
    general = dict(zip(queues[0], next(r for r in queues if r[0] == "general"), strict=True))
    assert (general["queue_label"], general["asa_hms"], general["service_level_hms"]) == \
        ("General enquiries", "0:01:15", "0:01:00")
    ivr = csv_table(supervisor.get("/reports/ivr.csv", query_string=DAY))
    assert ["reason", "employer", "Employers and vacancies", "1", "", ""] in ivr
    assert ["total", "ivr_hangup_rate", "IVR hangup rate", "0.0", "", ""] in ivr


def test_a_call_called_back_carries_the_callbacks_wrap_up(script, reports_client):
    from db.models import Callback

    asked = at(NOW.replace(hour=0), 9, 2)
    call = script.call(at(NOW.replace(hour=0), 9), "callback", nodes=("main", "adviser"))
    leg = script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "callback", wait=60)
    script.add(Callback(call_id=call.id, queue_entry_id=leg.id, queue="general", phone="+447700900123",
                        status="completed", requested_at=asked, enqueued_at=leg.enqueued_at,
                        connected_at=at(NOW.replace(hour=0), 10), completed_at=at(NOW.replace(hour=0), 10, 5),
                        wrapped_at=at(NOW.replace(hour=0), 10, 6), disposition="info_sent", notes=NOTES))
    script.done()
    header, row = csv_table(reports_client("supervisor").get("/reports/calls.csv", query_string=DAY))
    shown = dict(zip(header, row, strict=True))
    assert (shown["leg_outcome"], shown["disposition"]) == ("callback", "Information sent by post or email")
    assert shown["notes"] == NOTES
