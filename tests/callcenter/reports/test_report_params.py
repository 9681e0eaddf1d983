"""Report pages and CSV downloads take only filters they can use: anything else is a 400 with a
sentence saying what to correct, before any file starts downloading; and nothing in a CSV runs
as a spreadsheet formula."""

from __future__ import annotations

import pytest

from callcenter.accounts import users as accounts
from tests.support.csv_download import csv_table
from tests.support.reports_script import NOW, at

DAY = {"from": "2026-11-24", "to": "2026-11-24"}
STRONG = "correct horse battery 9"


@pytest.mark.parametrize("path", ["/reports", "/reports/advisers", "/reports/ivr", "/reports/queues.csv",
                                  "/reports/calls.csv", "/reports/survey", "/reports/survey.csv"])
@pytest.mark.parametrize("args, says", [
    ({"agent": "²"}, "agent must be the number of an adviser"),
    ({"agent": "99999999999999999999"}, "agent must be the number of an adviser"),
    ({"agent": "2147483648"}, "agent must be the number of an adviser"),
    ({"from": "9999-12-31"}, "from must be a date written YYYY-MM-DD, from 2000-01-01 to 2999-12-31"),
    ({"from": "0001-01-01"}, "from must be a date written YYYY-MM-DD, from 2000-01-01 to 2999-12-31"),
    ({"from": "2026-11-01", "to": "9999-12-31"}, "to must be a date written YYYY-MM-DD, from"),
    ({"from": "yesterday"}, "from must be a date written YYYY-MM-DD"),
    ({"queue": "general\x00"}, "queue must be a queue name"),
])
def test_a_filter_that_is_not_a_number_or_date_is_a_400_with_a_sentence(reports_client, path, args, says):
    response = reports_client("supervisor").get(path, query_string=args)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/html"  # an error page, not a CSV cut short
    if path.endswith(".csv"):
        assert says in text and "Correct the filter and try again." in text
        return
    # A report page shows its form again, with the sentence beside the fields.
    error = text.split('id="rp-filter-error"')[1].split("</p>")[0]
    assert says.lower() in error.lower() and "Correct the filter and try again." in error
    assert f'data-field="{says.split()[0]}"' in text
    assert '<form class="rp-filters card"' in text


def test_the_call_records_download_whole_with_a_real_adviser_filter(script, reports_client):
    adviser, _ = accounts.create_user(script.s, "ada", "Ada Lovell", "agent", password=STRONG)
    call = script.call(at(NOW.replace(hour=0), 9), "answered", nodes=("main", "adviser"))
    script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, agent=adviser.id, talk=60)
    script.done()
    response = reports_client("supervisor").get("/reports/calls.csv",
                                                 query_string={**DAY, "agent": adviser.id})
    assert response.status_code == 200
    rows = csv_table(response)
    assert len(rows) == 2 and rows[1][rows[0].index("adviser")] == "Ada Lovell"


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x.test")', "+1+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_text(script, reports_client, name):
    adviser, _ = accounts.create_user(script.s, "mallory", name, "agent", password=STRONG)
    call = script.call(at(NOW.replace(hour=0), 9), "answered", nodes=("main", "adviser"), reason=name)
    script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, agent=adviser.id, talk=60)
    script.done()
    supervisor = reports_client("supervisor")
    rows = csv_table(supervisor.get("/reports/calls.csv", query_string=DAY))
    header, row = rows[0], rows[1]
    assert row[header.index("adviser")] == "'" + name.strip()  # names are stored trimmed
    assert row[header.index("reason")] == "'" + name
    advisers = csv_table(supervisor.get("/reports/advisers.csv", query_string=DAY))
    line = next(r for r in advisers if r[0] == str(adviser.id))
    assert line[1][0] == "'" and line[1][1:] == adviser.name


def test_ordinary_cells_are_left_as_they_are(script, reports_client):
    x = script.caller("+447700900123")
    call = script.call(at(NOW.replace(hour=0), 9), "answered", caller=x, nodes=("main", "adviser"),
                       reason="my payment is late")
    script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, talk=60)
    script.done()
    rows = csv_table(reports_client("admin").get("/reports/calls.csv", query_string=DAY))
    header, row = rows[0], rows[1]
    assert row[header.index("reason")] == "my payment is late"
    assert row[header.index("wait_hms")] == "0:00:10"
    assert row[header.index("caller")] == "'+447700900123"  # a spreadsheet keeps the + and the text
