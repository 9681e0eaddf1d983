"""The IVR report counts information sent by text message: per message and language, texts sent,
delivered and failed, and the delivery rate, the same on the page, in the CSV and in /api/stats
(docs/metrics.md, "Information by text message")."""

from __future__ import annotations

import html as markup
import uuid
from datetime import timedelta

from db import session as db
from db.models import Call, TextMessage
from tests.support.csv_download import csv_table
from tests.support.reports_script import NOW

DAY = {"from": NOW.date().isoformat(), "to": NOW.date().isoformat()}


def texts(*statuses_by_message: tuple[str, str, list[str]], started=NOW - timedelta(hours=2)) -> None:
    """One call per text, started in the day, each text with its last status."""
    with db.SessionLocal.begin() as s:
        for message, language, statuses in statuses_by_message:
            for status in statuses:
                call = Call(sid="CA" + uuid.uuid4().hex, started_at=started, language=language,
                            status="completed", outcome="self_service")
                s.add(call)
                s.flush()
                code = 30003 if status == "undelivered" else None
                s.add(TextMessage(call_id=call.id, message=message, language=language, status=status,
                                  requested_at=started, error_code=code))


def a_day_of_texts() -> None:
    texts(("offices", "en", ["delivered", "delivered", "delivered", "undelivered"]),
          ("offices", "es", ["delivered", "sent"]),
          ("register", "en", ["failed"]))
    texts(("offices", "en", ["delivered"]), started=NOW - timedelta(days=2))  # another period


def test_the_api_counts_texts_per_message_and_language(reports_app, reports_client):
    a_day_of_texts()
    got = reports_client("supervisor").get("/api/stats", query_string={**DAY, "parts": "ivr"}).get_json()
    assert {k: v for k, v in got["texts"].items() if k != "messages"} == {
        "texts_sent": 7, "texts_delivered": 4, "texts_failed": 2, "text_delivery_rate": 57.1}
    assert got["texts"]["messages"][0] == {"message": "offices", "language": "en", "sent": 4, "delivered": 3,
                                           "failed": 1, "delivery_rate": 75.0}
    assert got["formulas"]["text_delivery_rate"] == "texts_delivered ÷ texts_sent × 100"


def test_the_ivr_page_shows_the_texts_table(reports_app, reports_client):
    a_day_of_texts()
    page = markup.unescape(reports_client("supervisor").get("/reports/ivr", query_string=DAY)
                           .get_data(as_text=True))
    assert "Information by text message" in page
    row = page.split('data-message="offices" data-language="es">', 1)[1].split("</tr>", 1)[0]
    assert row.startswith('<th scope="row">Our employment offices are open')  # as the drop-off table names it
    assert row.endswith("<td>Español</td><td>2</td><td>1</td><td>0</td><td>50.0%</td>")
    assert "All texts" in page


def test_the_csv_has_the_same_figures(reports_app, reports_client):
    a_day_of_texts()
    rows = csv_table(reports_client("supervisor").get("/reports/ivr.csv", query_string=DAY))
    header = rows[0]
    found = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert found[("text_total", "texts_sent")]["value"] == "7"
    assert found[("text_delivered", "offices:en")]["value"] == "3"
    assert found[("text_delivered", "offices:en")]["of"] == "4"
    assert found[("text_failed", "register:en")]["value"] == "1"
