"""Offered calls in the reports (issue 16, docs/metrics.md "Offered calls"): offers made,
accepted, rejected and missed, per adviser and per queue, on the pages, in the CSV downloads
and in GET /api/stats, each with its formula."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callcenter.accounts.users import create_user
from db import session as db
from db.models import Offer
from tests.support.csv_download import csv_table
from tests.support.desk import PASSWORD, waiting_call
from tests.support.reports_script import NOW

DAY = {"from": "2026-11-23", "to": "2026-11-23"}
MORNING = NOW - timedelta(days=1, hours=2)  # 2026-11-23 10:00 UTC, in the report's day


@pytest.fixture
def offers(reports_app) -> dict[str, int]:
    """Ada: offered 3 calls (accepted, rejected, missed); Ben: 1 in benefits (accepted), and one
    the day before (outside the period)."""
    with db.SessionLocal.begin() as s:
        ada, _ = create_user(s, "ada", "Ada Lovell", "agent", PASSWORD, queues=["general", "benefits"])
        ben, _ = create_user(s, "ben", "Ben Okafor", "agent", PASSWORD, queues=["general", "benefits"])
        general = waiting_call(s, queue="general", now=MORNING, language="en")
        benefits = waiting_call(s, phone="+447700900222", queue="benefits", now=MORNING, language="es")
        rows = [(ada, general, "rejected", 0), (ada, general, "missed", 60), (ada, general, "accepted", 120),
                (ben, benefits, "accepted", 0), (ben, benefits, "missed", -86400)]
        for n, (agent, entry, status, after_s) in enumerate(rows):
            at = MORNING + timedelta(seconds=after_s)
            s.add(Offer(entry_id=entry.id, queue=entry.queue, agent_id=agent.id, status=status, offered_at=at,
                        expires_at=at + timedelta(seconds=20), ended_at=at + timedelta(seconds=n)))
        return {"ada": ada.id, "ben": ben.id}


def test_offer_figures_in_the_api_per_queue_and_adviser(offers, reports_client):
    client = reports_client("supervisor")
    got = client.get("/api/stats", query_string=DAY).get_json()
    assert {k: got[k] for k in ("offers", "offers_accepted", "offers_rejected", "offers_missed")} == {
        "offers": 4, "offers_accepted": 2, "offers_rejected": 1, "offers_missed": 1}
    assert got["queues"]["general"]["offers"] == 3 and got["queues"]["benefits"]["offers_accepted"] == 1
    assert got["queues"]["employers"]["offers"] == 0
    assert got["advisers"]["offers_missed"] == 1 and got["advisers"]["offers"] == 4
    assert "within the queue's offer_timeout_s" in got["formulas"]["offers_missed"]
    spanish = client.get("/api/stats", query_string={**DAY, "language": "es"}).get_json()
    assert (spanish["offers"], spanish["offers_accepted"]) == (1, 1)  # the benefits caller only
    ada_only = client.get("/api/stats", query_string={**DAY, "agent": offers["ada"]}).get_json()
    assert ada_only["advisers"]["offers"] == 3


def test_offer_figures_on_the_adviser_page_and_in_its_csv(offers, reports_client):
    client = reports_client("supervisor")
    html = client.get("/reports/advisers", query_string=DAY).get_data(as_text=True)
    line = html.split(f'data-agent="{offers["ada"]}"')[1].split("</tr>")[0]
    assert '<td data-metric="offers_rejected">1</td>' in line and '<td data-metric="offers">3</td>' in line
    assert "Of those, the times the adviser let it ring out." in html  # the plain words
    assert "offers with status missed" in html  # and the formula
    table = csv_table(client.get("/reports/advisers.csv", query_string=DAY))
    head = table[0]
    by_name = {row[1]: dict(zip(head, row, strict=True)) for row in table[1:]}
    assert by_name["Ada Lovell"]["offers_missed"] == "1" and by_name["Ben Okafor"]["offers"] == "1"
    assert by_name["all advisers"]["offers_accepted"] == "2"
    queues = csv_table(client.get("/reports/queues.csv", query_string=DAY))
    rows = {row[0]: dict(zip(queues[0], row, strict=True)) for row in queues[1:]}
    assert rows["general"]["offers"] == "3" and rows["all queues"]["offers_rejected"] == "1"
