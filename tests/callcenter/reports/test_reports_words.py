"""The report pages speak the supervisor's language: labels from the flow instead of codes, the
usual periods one click away, and a wrong period explained beside the fields that hold it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape

from callcenter.reports.metrics import local_today, presets
from tests.support.reports_script import NOW, D, at

DAY = {"from": "2026-11-23", "to": "2026-11-23"}


def _between(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_queues_reasons_and_steps_are_named_as_the_flow_names_them(script, reports_client):
    call = script.call(at(D, 9), "answered", nodes=("main", "benefits", "adviser_benefits"),
                       reason="benefits")
    script.leg(call, "benefits", at(D, 9, 1), "answered", wait=20, talk=60)
    script.call(at(D, 10), "ivr_hangup", nodes=("main",), reason="claim_status")
    script.done()
    client = reports_client("supervisor")

    queues = client.get("/reports", query_string=DAY).get_data(as_text=True)
    head = _between(queues, '<table class="rp-table" id="queue-table">', "</thead>")
    assert '<th scope="col" data-queue="general">General enquiries</th>' in head
    assert '<th scope="col" data-queue="employers">Employers</th>' in head
    assert '<option value="general" >General enquiries</option>' in queues

    ivr = client.get("/reports/ivr", query_string=DAY).get_data(as_text=True)
    reasons = _between(ivr, 'id="reason-table"', "</table>")
    assert '<tr data-reason="benefits"><th scope="row">Benefits and payments</th>' in reasons  # its label
    assert '<tr data-reason="claim_status"><th scope="row">Claim status</th>' in reasons  # no label: words
    steps = unescape(_between(ivr, 'id="dropoff-table"', "</table>"))
    assert '<th scope="row" title="main">Main menu</th>' in steps  # what the caller hears there
    assert '<th scope="row" title="benefits">Unemployment benefits</th>' in steps
    assert "Waiting for an adviser: Benefits" in steps  # a queue step, by its queue's label
    reason_filter = _between(ivr, '<select name="intent">', "</select>")
    assert '<option value="registration" >Registering as a jobseeker</option>' in reason_filter


def test_preset_periods_are_links_that_keep_the_other_filters(reports_client):
    html = reports_client("supervisor").get("/reports/advisers", query_string={**DAY, "queue": "benefits"})
    assert html.status_code == 200
    links = unescape(_between(html.get_data(as_text=True), '<nav class="rp-presets"', "</nav>"))
    # NOW is Tuesday 24 November 2026, 12:00 in London.
    for name, period in (("Today", "from=2026-11-24&to=2026-11-24"),
                         ("Yesterday", "from=2026-11-23&to=2026-11-23"),
                         ("Last 7 days", "from=2026-11-18&to=2026-11-24"),
                         ("Last 30 days", "from=2026-10-26&to=2026-11-24"),
                         ("This month", "from=2026-11-01&to=2026-11-24")):
        link = f'<a href="([^"]+)" data-preset="{name}" ?([^>]*)>{name}</a>'
        href, current = re.search(link, links).groups()
        assert href == f"/reports/advisers?queue=benefits&{period}"
        assert (current == 'aria-current="true"') == (name == "Yesterday")  # the period on screen


def test_presets_follow_the_helpdesk_day_not_the_utc_day():
    # 23:30 UTC on 30 June is already 1 July in London (summer time): "this month" is July.
    today = local_today("Europe/London", datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    got = {name: (first, last) for name, first, last in presets(today)}
    assert got["This month"] == (date(2026, 7, 1), date(2026, 7, 1))
    assert got["Yesterday"] == (date(2026, 6, 30), date(2026, 6, 30))
    assert got["Last 30 days"][0] == date(2026, 6, 2)


def test_a_period_that_ends_before_it_starts_is_explained_beside_the_form(reports_client):
    page = reports_client("supervisor").get("/reports/ivr", query_string={"from": "2026-11-24",
                                                                         "to": "2026-11-20",
                                                                         "queue": "benefits"})
    assert page.status_code == 400
    html = unescape(page.get_data(as_text=True))
    error = _between(html, '<p class="rp-error" id="rp-filter-error" role="alert" data-field="to">', "</p>")
    assert error == ("The period ends (2026-11-20) before it starts (2026-11-24): choose a 'To' day on "
                     "or after the 'From' day, or one of the periods above.")
    form = _between(html, '<form class="rp-filters card"', "</form>")  # the form is kept, as typed
    assert 'name="from" value="2026-11-24"' in form and 'name="to" value="2026-11-20"' in form
    assert '<option value="benefits" selected>Benefits</option>' in form
    assert re.search(r'name="to" value="2026-11-20" required\s+aria-invalid="true"', form)
    assert 'id="dropoff-table"' not in html  # no figures for a period that cannot be


def test_a_period_longer_than_a_report_covers_says_so(reports_client):
    page = reports_client("supervisor").get("/reports", query_string={"from": "2025-01-01",
                                                                      "to": "2026-11-24"})
    assert page.status_code == 400
    error = unescape(_between(page.get_data(as_text=True), 'id="rp-filter-error"', "</p>"))
    assert "That period is 693 days long; a report covers at most 400 days: bring 'From' and 'To' " \
           "closer together." in error
    assert NOW.date().isoformat() in page.get_data(as_text=True)  # the 'To' day typed is still there


def test_after_a_refused_filter_the_preset_links_leave_it_out(reports_client):
    page = reports_client("supervisor").get("/reports", query_string={**DAY, "agent": "x", "language": "es"})
    assert page.status_code == 400
    links = unescape(_between(page.get_data(as_text=True), '<nav class="rp-presets"', "</nav>"))
    assert '<a href="/reports?language=es&from=2026-11-24&to=2026-11-24" data-preset="Today"' in links
    assert "agent=" not in links  # a click on a preset gives a report, not the same error


def _legend(chart: str) -> dict[str, str]:
    """A chart's legend lines as label -> "count (share)"."""
    lines = [unescape(t) for t in re.findall(r'<text [^>]*class="legend">([^<]*)</text>', chart)]
    return dict(line.rsplit(": ", 1) for line in lines)


def _rows(table: str) -> dict[str, list[str]]:
    rows = re.findall(r'<th scope="row">([^<]*)</th>((?:<td>[^<]*</td>)+)', table)
    return {unescape(label): re.findall(r"<td>([^<]*)</td>", cells) for label, cells in rows}


def test_chart_legends_name_what_the_tables_name_never_a_code(script, reports_client):
    for k, (outcome, nodes) in enumerate([("self_service", ("main", "register")), ("ivr_hangup", ("main",)),
                                          ("ivr_hangup", ("main",)), ("answered", ("main", "adviser"))]):
        call = script.call(at(D, 9, k), outcome, nodes=nodes)
        if outcome == "answered":
            script.leg(call, "general", at(D, 9, k, 10), "answered", wait=20, talk=60)
    call = script.call(at(D, 11), "callback", nodes=("main", "adviser"))
    script.leg(call, "general", at(D, 11, 0, 10), "callback", wait=40)
    script.done()
    client = reports_client("supervisor")

    ivr = client.get("/reports/ivr", query_string=DAY).get_data(as_text=True)
    chart = _between(ivr, "<figcaption>How all calls ended</figcaption>", "</svg>")
    table = _rows(_between(ivr, 'id="outcome-table"', "</table>"))
    assert table == {"Ended in the recorded messages": ["1", "20.0%"], "Hung up in the menus": ["2", "40.0%"],
                     "Answered by an adviser": ["1", "20.0%"], "Asked to be called back": ["1", "20.0%"]}
    assert _legend(chart) == {label: f"{n} ({share})" for label, (n, share) in table.items()}
    assert not re.search(r"self.service|ivr.hangup|>callback", chart)  # no code, in the legend or a tooltip

    queues = client.get("/reports", query_string=DAY).get_data(as_text=True)
    chart = _between(queues, "<figcaption>How queued calls ended</figcaption>", "</svg>")
    figures = _between(queues, '<table class="rp-table" id="queue-table">', "</table>")
    row_labels = set(re.findall(r'<tr data-metric="\w+"><th scope="row">([^<]*)<', figures))
    legend = _legend(chart)
    assert legend["Answered, not transferred"] == "1 (50.0%)" and legend["Callbacks"] == "1 (50.0%)"
    assert set(legend) - {"Answered, not transferred"} <= row_labels  # the table's own words
    assert {"Transferred out", "Short abandons", "Voicemails", "Abandoned"} <= set(legend)
    assert not re.search(r"short.abandon\b|>callback|>voicemail", chart)
