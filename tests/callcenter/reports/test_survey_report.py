"""The caller survey in the reports (docs/metrics.md, "Caller survey"): responses, response rate
(responses ÷ surveys offered) and mean score per queue, adviser and language, the same figures
on the page, in the CSV and in GET /api/stats, computed from the stored survey rows."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from callcenter.accounts.users import create_user
from db.models import SurveyResponse
from tests.support.csv_download import csv_parts
from tests.support.reports_script import D, at

DAY = {"from": "2026-11-23", "to": "2026-11-23"}


def _surveyed_day(script):
    """Ana: two employers callers in English answered 4 and 5, one in Spanish was asked and said
    nothing. Ben: one callback's caller in French answered 2. A survey of the next day is
    outside the period."""
    ana, _ = create_user(script.s, "ana", "Ana Adviser", "agent", "correct horse battery 9")
    ben, _ = create_user(script.s, "ben", "Ben Adviser", "agent", "correct horse battery 9")
    script.s.flush()
    rows = []
    day = ((9, ana, "en", 4, "employers"), (10, ana, "en", 5, "employers"),
           (11, ana, "es", None, "employers"), (12, ben, "fr", 2, "general"))
    for hour, agent, lang, score, queue in day:
        call = script.call(at(D, hour), "answered", language=lang)
        leg = script.leg(call, queue, at(D, hour, 1), "answered", wait=20, agent=agent.id, talk=120)
        asked = leg.ended_at
        rows.append(SurveyResponse(call_id=call.id, queue_entry_id=leg.id, agent_id=agent.id, queue=queue,
                                   language=lang, asked_at=asked, score=score,
                                   answered_at=asked + timedelta(seconds=5) if score else None))
    later = script.call(D + timedelta(days=1, hours=9), "answered")
    rows.append(SurveyResponse(call_id=later.id, agent_id=ana.id, queue="employers", language="en",
                               asked_at=D + timedelta(days=1, hours=9, minutes=5), score=1))
    script.add(*rows)
    ids = ana.id, ben.id
    script.done()
    return ids


def test_the_api_gives_responses_rate_and_mean_per_queue_adviser_and_language(script, reports_client):
    ana, ben = _surveyed_day(script)
    stats = reports_client("supervisor").get("/api/stats", query_string={**DAY, "parts": "survey"}).get_json()
    survey = stats["survey"]
    assert survey["total"] == {"surveys_offered": 4, "survey_responses": 3, "survey_response_rate": 75.0,
                               "mean_survey_score": 3.7}  # (4 + 5 + 2) / 3
    assert survey["queues"]["employers"] == {"surveys_offered": 3, "survey_responses": 2,
                                             "survey_response_rate": 66.7, "mean_survey_score": 4.5}
    assert survey["queues"]["general"]["mean_survey_score"] == 2.0  # survey since turned off: its rows count
    by_adviser = {line["agent"]: line for line in survey["advisers"]}
    a, b = by_adviser["Ana Adviser"], by_adviser["Ben Adviser"]
    assert (a["agent_id"], a["survey_response_rate"]) == (ana, 66.7)
    assert (b["agent_id"], b["survey_responses"]) == (ben, 1)
    assert survey["languages"]["es"] == {"surveys_offered": 1, "survey_responses": 0,
                                         "survey_response_rate": 0.0, "mean_survey_score": None}
    assert stats["formulas"]["survey_response_rate"] == "responses ÷ surveys offered × 100"

    one = reports_client("admin").get("/api/stats", query_string={**DAY, "parts": "survey", "agent": str(ben),
                                                                  "language": "fr"}).get_json()
    total = one["survey"]["total"]
    assert (total["mean_survey_score"], total["surveys_offered"]) == (2.0, 1)


def test_the_page_and_the_csv_show_the_same_figures(script, reports_client):
    _surveyed_day(script)
    client = reports_client("supervisor")
    html = unescape(client.get("/reports/survey", query_string=DAY).get_data(as_text=True))
    assert 'aria-current="page">Caller survey</a>' in html
    by_queue = html.split('id="survey-by-queue"', 1)[1].split("</table>", 1)[0]
    employers = by_queue.split('<tr data-row="employers"><th scope="row">Employers</th>', 1)[1]
    employers = employers.split("</tr>")[0]
    assert '<td data-metric="survey_responses">2</td>' in employers
    assert '<td data-metric="survey_response_rate">66.7%</td>' in employers
    assert '<td data-metric="mean_survey_score">4.5</td>' in employers
    by_language = html.split('id="survey-by-language"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">Español</th>' in by_language or '<th scope="row">Spanish</th>' in by_language
    assert "responses ÷ surveys offered × 100" in html  # the formula, one click away

    table, notes = csv_parts(client.get("/reports/survey.csv", query_string=DAY))
    assert table[0] == ["by", "code", "name", "surveys_offered", "survey_responses", "survey_response_rate",
                        "mean_survey_score"]
    assert ["queue", "employers", "Employers", "3", "2", "66.7", "4.5"] in table
    assert ["adviser", table[[r[2] for r in table].index("Ben Adviser")][1], "Ben Adviser", "1", "1", "100.0",
            "2.0"] in table
    assert ["language", "es", table[[r[1] for r in table].index("es")][2], "1", "0", "0.0", "—"] in table
    assert table[-1] == ["all", "", "all surveys", "4", "3", "75.0", "3.7"]
    assert ["# formula mean_survey_score", "mean of the scores (1-5) over responses, one decimal"] in notes


def test_a_quiet_period_shows_dashes_not_zeros_divided(reports_client):
    client = reports_client("supervisor")
    html = client.get("/reports/survey", query_string=DAY).get_data(as_text=True)
    assert "No caller was asked the question in this period." in html
    stats = client.get("/api/stats", query_string={**DAY, "parts": "survey"}).get_json()
    assert stats["survey"]["total"] == {"surveys_offered": 0, "survey_responses": 0,
                                        "survey_response_rate": None, "mean_survey_score": None}
    assert stats["survey"]["queues"] == {"employers": stats["survey"]["total"]}  # the queue that asks
