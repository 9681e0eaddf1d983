"""A scripted Monday on the helpdesk, and every figure of the reports worked out by hand.

Day D is Monday 23 November 2026 (London on GMT, so local time = UTC). What happens:

general queue (T = 60 s)                      call outcome   leg
  c1 09:00 answered after 60 s (exactly T)    answered       adviser A, talk 300, wrap 60
  c2 09:10 answered after 90 s, Spanish       answered       adviser A, talk 200, wrap 40
  c3 abandoned after 40 s                     abandoned
  c4 hung up after 3 s                        short_abandon
  c5 asked for a callback after 50 s          callback       callback completed by A
  c6 asked for a callback after 120 s         callback       callback still pending
  c7 left a voicemail after 300 s             voicemail
  c8 answered after 10 s, then transferred    transferred    A, talk 100, wrap 20
     -> benefits (T = 60 s), answered after 46 s             adviser B, talk 400, wrap 100
  cM started 23:59:30 on D, queued 00:00:10 on D+1, abandoned after 60 s (belongs to D)
  cP started 23:59:00 on D-1, queued 00:00:30 on D, answered after 30 s (belongs to D-1)
IVR only: h1 hung up in 'main'; h2 (caller X) hung up in 'benefits' at 11:00;
  s1 (caller X, 09:30), s2 (caller Y, 14:00, calls again 25 h later), s3 (withheld) self-service.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from callcenter.accounts import users as accounts
from callcenter.reports.offer_metrics import OFFER_FIGURES
from db import session as db
from db.models import Callback, Capture, Recording
from tests.support.reports_script import NOW, D, at

DAY = {"from": "2026-11-23", "to": "2026-11-23"}
# The day's queues take callers from the list: no offers (tests/callcenter/reports/test_offer_figures.py).
NO_OFFERS = dict.fromkeys(OFFER_FIGURES, 0)


@pytest.fixture(params=["raw rows", "rollups"])
def day(request, script, reports_app):
    """The scripted day, read straight from raw rows or (second run) through the report rollups."""
    sc = script
    a, _ = accounts.create_user(sc.s, "adviser.a", "Adviser A", "agent", password="correct horse battery 9",
                                queues=["general"])
    b, _ = accounts.create_user(sc.s, "adviser.b", "Adviser B", "agent", password="correct horse battery 9",
                                queues=["benefits"])
    x, y = sc.caller("+447700900001"), sc.caller("+447700900002")
    queued = ("main", "adviser")

    c1 = sc.call(at(D, 9, 0), "answered", nodes=queued, reason="claim_status")
    sc.leg(c1, "general", at(D, 9, 1), "answered", wait=60, agent=a.id, talk=300, acw=60)
    c2 = sc.call(at(D, 9, 10), "answered", nodes=queued, reason="claim_status", language="es")
    sc.leg(c2, "general", at(D, 9, 11), "answered", wait=90, agent=a.id, talk=200, acw=40, language="es")
    c3 = sc.call(at(D, 9, 20), "abandoned", nodes=queued, reason="claim_status")
    sc.leg(c3, "general", at(D, 9, 21), "abandoned", wait=40)
    c4 = sc.call(at(D, 9, 40), "short_abandon", nodes=queued)
    sc.leg(c4, "general", at(D, 9, 41), "short_abandon", wait=3)
    c5 = sc.call(at(D, 10, 0), "callback", nodes=queued)
    l5 = sc.leg(c5, "general", at(D, 10, 1), "callback", wait=50)
    c6 = sc.call(at(D, 10, 10), "callback", nodes=queued)
    l6 = sc.leg(c6, "general", at(D, 10, 11), "callback", wait=120)
    c7 = sc.call(at(D, 10, 20), "voicemail", nodes=queued)
    sc.leg(c7, "general", at(D, 10, 21), "voicemail", wait=300)
    c8 = sc.call(at(D, 12, 0), "transferred", nodes=queued, reason="vacancies")
    l8 = sc.leg(c8, "general", at(D, 12, 1), "transferred", wait=10, agent=a.id, talk=100, acw=20)
    sc.leg(c8, "benefits", l8.ended_at, "answered", wait=46, agent=b.id, talk=400, acw=100,
           transferred_from=l8)
    cm = sc.call(at(D, 23, 59, 30), "abandoned", nodes=queued)
    sc.leg(cm, "general", at(D + timedelta(days=1), 0, 0, 10), "abandoned", wait=60)
    cp = sc.call(at(D - timedelta(days=1), 23, 59, 0), "answered", nodes=queued)
    sc.leg(cp, "general", at(D, 0, 0, 30), "answered", wait=30, agent=a.id, talk=60)

    sc.call(at(D, 10, 0), "ivr_hangup", nodes=("main",))
    sc.call(at(D, 11, 0), "ivr_hangup", caller=x, nodes=("main", "benefits"))
    sc.call(at(D, 9, 30), "self_service", caller=x, nodes=("main", "offices"))
    sc.call(at(D, 14, 0), "self_service", caller=y, nodes=("main", "offices"))
    sc.call(at(D, 15, 0), "self_service", nodes=("main", "offices"))
    sc.call(at(D + timedelta(days=1), 15, 0, 1), "self_service", caller=y, nodes=("main", "offices"))

    sc.add(
        Callback(call_id=c5.id, queue_entry_id=l5.id, queue="general", phone=x.phone, status="completed",
                 requested_at=l5.left_at, enqueued_at=l5.enqueued_at, agent_id=a.id,
                 connected_at=at(D, 10, 30), completed_at=at(D, 10, 35), attempts=1),
        Callback(call_id=c6.id, queue_entry_id=l6.id, queue="general", phone=y.phone, status="pending",
                 requested_at=l6.left_at, enqueued_at=l6.enqueued_at),
        Capture(call_id=c1.id, field="id_number", status="captured", value="12345674",
                created_at=at(D, 9, 0, 30)),
        Capture(call_id=c2.id, field="id_number", status="failed", created_at=at(D, 9, 10, 30)),
        Capture(call_id=c3.id, field="reason", method="speech", status="captured",
                created_at=at(D, 9, 20, 30)),
        Recording(sid="RE" + "1" * 32, call_id=c3.id, kind="reason", status="transcribed",
                  text="about my claim", intent="claim_status", created_at=at(D, 9, 20, 30)),
        Recording(sid="RE" + "2" * 32, call_id=c7.id, kind="voicemail", status="no_speech",
                  created_at=at(D, 10, 27)),
    )
    # A: available 08:00-08:10 and 08:21-08:31 = 1200 s idle. B: available from 23:00 the day
    # before until 00:05 on D: 300 s of it inside D (the change in force at midnight counts).
    sc.status(a.id, (at(D, 8), "available"), (at(D, 8, 10), "busy"), (at(D, 8, 20), "after_call"),
              (at(D, 8, 21), "available"), (at(D, 8, 31), "break"), (at(D, 8, 41), "offline"))
    sc.status(b.id, (at(D - timedelta(days=1), 23), "available"), (at(D, 0, 5), "offline"))
    ids = {"a": a.id, "b": b.id}
    sc.done()
    if request.param == "rollups":
        from callcenter.reports.rollups.build import roll_up

        with db.SessionLocal.begin() as s:
            assert roll_up(s, reports_app.extensions["jobline.flow"], NOW) is not None
    return ids


def stats(client, **args):
    answer = client.get("/api/stats", query_string={**DAY, **args})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_queue_figures_for_the_day(day, reports_client):
    got = stats(reports_client("supervisor"))
    # general: offered c1-c7, c8's first leg, cM = 9 (cP started the day before: not here).
    # answered c1, c2, c8 = 3; abandoned c3, cM = 2; short c4; callbacks c5, c6; voicemail c7.
    # met: c1 (60 s, inclusive), c8 (10 s), c5's callback at 50 s = 3 of (9 - 1) = 37.5 %.
    # abandonment 2 / 8 = 25.0 %. ASA (60 + 90 + 10) / 3 = 53.3 s. abandon time (40 + 60) / 2 = 50.0 s.
    # callbacks: c5's (completed, 1 attempt, connected 10:30:00 after being asked for at 10:01:50:
    # 1690 s) and c6's (pending, not tried yet).
    assert got["queues"]["general"] == {
        "offered": 9, "answered": 3, "abandoned": 2, "short_abandons": 1, "callbacks": 2, "voicemails": 1,
        "transferred_out": 1, "service_level": 37.5, "abandonment_rate": 25.0, "asa_s": 53.3,
        "avg_abandon_s": 50.0, "service_level_s": 60,
        "callbacks_requested": 2, "callbacks_completed": 1, "callbacks_failed": 0, "callback_attempts": 1,
        "time_to_callback_s": 1690.0, **NO_OFFERS}
    # benefits: only the transferred call's new leg, answered after 46 s (T 60): 1 / 1.
    assert got["queues"]["benefits"] == {
        "offered": 1, "answered": 1, "abandoned": 0, "short_abandons": 0, "callbacks": 0, "voicemails": 0,
        "transferred_out": 0, "service_level": 100.0, "abandonment_rate": 0.0, "asa_s": 46.0,
        "avg_abandon_s": None, "service_level_s": 60,
        "callbacks_requested": 0, "callbacks_completed": 0, "callbacks_failed": 0, "callback_attempts": 0,
        "time_to_callback_s": None, **NO_OFFERS}
    # employers: nobody queued: every rate has a zero denominator.
    assert got["queues"]["employers"]["offered"] == 0
    assert got["queues"]["employers"]["service_level"] is None
    assert got["queues"]["employers"]["abandonment_rate"] is None
    assert got["queues"]["employers"]["asa_s"] is None
    # all queues: offered 10, met 4 of 9 = 44.4 %, abandoned 2 of 9 = 22.2 %,
    # ASA (60 + 90 + 10 + 46) / 4 = 51.5 s.
    keys = ("offered", "answered", "abandoned", "short_abandons", "callbacks", "voicemails", "service_level",
            "abandonment_rate", "asa_s", "avg_abandon_s", "callbacks_requested", "callbacks_completed",
            "callback_attempts", "time_to_callback_s")
    assert {k: got[k] for k in keys} == {
        "offered": 10, "answered": 4, "abandoned": 2, "short_abandons": 1, "callbacks": 2, "voicemails": 1,
        "service_level": 44.4, "abandonment_rate": 22.2, "asa_s": 51.5, "avg_abandon_s": 50.0,
        "callbacks_requested": 2, "callbacks_completed": 1, "callback_attempts": 1,
        "time_to_callback_s": 1690.0}
    assert "connected_at − requested_at" in got["formulas"]["time_to_callback_s"]
    assert "short abandons" in got["formulas"]["service_level"]


def test_calls_across_midnight_belong_to_the_day_they_started(day, reports_client):
    client = reports_client("supervisor")
    before = stats(client, **{"from": "2026-11-22", "to": "2026-11-22"})
    # cP: started 23:59 on the 22nd, queued and answered after midnight, after 30 s.
    assert (before["offered"], before["answered"], before["asa_s"]) == (1, 1, 30.0)
    assert before["service_level"] == 100.0
    after = stats(client, **{"from": "2026-11-24", "to": "2026-11-24"})
    # cM was queued on the 24th but started on the 23rd; only y's self-service call is on the 24th.
    assert after["offered"] == 0
    assert (after["service_level"], after["abandonment_rate"], after["asa_s"]) == (None, None, None)
    assert after["ivr"]["calls"] == 1
    both = stats(client, **{"from": "2026-11-22", "to": "2026-11-24"})
    assert both["offered"] == 1 + 10 + 0


def test_filters_by_language_queue_and_agent(day, reports_client):
    client = reports_client("supervisor")
    spanish = stats(client, language="es", parts="queue")
    # only c2: answered after 90 s, over T: 0 of 1 met.
    assert (spanish["offered"], spanish["answered"]) == (1, 1)
    assert (spanish["service_level"], spanish["asa_s"]) == (0.0, 90.0)
    benefits = stats(client, queue="benefits", parts="queue")
    assert (benefits["offered"], benefits["service_level"]) == (1, 100.0)
    assert list(benefits["queues"]) == ["benefits"]
    agent_b = stats(client, agent=str(day["b"]), parts="queue,advisers")
    assert (agent_b["offered"], agent_b["advisers"]["handled"], agent_b["advisers"]["aht_s"]) == (1, 1, 500.0)


def test_adviser_figures(day, reports_client):
    got = stats(reports_client("supervisor"), parts="advisers")["advisers"]
    # A handled c1 (300 + 60), c2 (200 + 40), c8 (100 + 20) = 720 s over 3 calls; B c8 in benefits
    # 400 + 100 = 500 s. AHT (720 + 500) / 4 = 305.0 s. Idle: A 1200 s, B 300 s.
    # Occupancy 1220 / (1220 + 1500) = 44.85 -> 44.9 %.
    assert got == {"handled": 4, "aht_s": 305.0, "talk_s": 250.0, "acw_s": 55.0, "occupancy": 44.9,
                   "idle_s": 1500, "transfers_out": 1, "callbacks_completed": 1, **NO_OFFERS}


def test_adviser_report_lines(day, reports_client):
    page = reports_client("supervisor").get("/reports/advisers", query_string=DAY)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # A: occupancy 720 / (720 + 1200) = 37.5 %, AHT 240 s; B: 500 / (500 + 300) = 62.5 %, AHT 500 s.
    line_a = html.split(f'data-agent="{day["a"]}"')[1].split("</tr>")[0]
    assert "37.5%" in line_a and '<td data-metric="aht_s">0:04:00</td>' in line_a
    line_b = html.split(f'data-agent="{day["b"]}"')[1].split("</tr>")[0]
    assert "62.5%" in line_b and '<td data-metric="aht_s">0:08:20</td>' in line_b
    assert "AHT <span class=\"rp-unit\">(h:mm:ss)</span>" in html
    assert "Time a call takes on average: talking, then the notes afterwards." in html
    assert "after-call work (ended_at → wrapped_at)" in html  # the exact formula, under <details>


def test_ivr_figures(day, reports_client):
    got = stats(reports_client("supervisor"), parts="ivr")["ivr"]
    # 14 calls started on D: c1-c8, cM, h1, h2, s1, s2, s3.
    # Containment 3 / 14 = 21.4 %. True containment: s1's caller X rang again at 11:00 (within
    # 24 h); Y rang again after 25 h; s3 is withheld: 2 / 14 = 14.3 %. Hang-ups 2 / 14 = 14.3 %.
    # Recordings 2, one with text: 50.0 %.
    assert got == {"calls": 14, "self_service": 3, "ivr_hangups": 2, "containment": 21.4,
                   "true_containment": 14.3, "truly_contained": 2, "ivr_hangup_rate": 14.3,
                   "recordings": 2, "with_text": 1, "transcription_success": 50.0}


def test_ivr_page_drop_off_captures_and_reasons(day, reports_app):
    from callcenter.reports.ivr_metrics import ivr_report
    from callcenter.reports.metrics import parse_filters
    from db import session as db

    with db.SessionLocal() as s:
        report = ivr_report(s, parse_filters(DAY, "Europe/London", NOW.date()))
    # Every call of D entered 'main' (14); h1 hung up there: 1 / 14 = 7.1 %. h2 entered
    # 'benefits' and hung up there: 1 / 1. Nine queued calls entered 'adviser'; three 'offices'.
    assert report["drop_off"] == [
        {"node": "benefits", "entered": 1, "hangups": 1, "drop_off": 100.0},
        {"node": "main", "entered": 14, "hangups": 1, "drop_off": 7.1},
        {"node": "adviser", "entered": 9, "hangups": 0, "drop_off": 0.0},
        {"node": "offices", "entered": 3, "hangups": 0, "drop_off": 0.0},
    ]
    # ID number asked twice, captured once; reason asked and captured once.
    assert report["captures"] == [
        {"field": "id_number", "asked": 2, "captured": 1, "capture_rate": 50.0},
        {"field": "reason", "asked": 1, "captured": 1, "capture_rate": 100.0},
    ]
    assert report["top_reasons"] == [{"reason": "claim_status", "calls": 3},
                                     {"reason": "vacancies", "calls": 1}]
    assert report["outcomes"] == {"self_service": 3, "ivr_hangup": 2, "answered": 2, "abandoned": 2,
                                  "short_abandon": 1, "callback": 2, "voicemail": 1, "transferred": 1}


def test_queue_page_shows_each_figure_with_its_formula_and_dashes(day, reports_client):
    page = reports_client("supervisor").get("/reports", query_string=DAY)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "37.5%" in html and "44.4%" in html
    # ASA of all queues: (60 + 90 + 10 + 46) ÷ 4 = 51.5 s; of general alone (60 + 90 + 10) ÷ 3 = 53.3 s.
    assert '<span class="rp-kpi-value">0:00:52</span>' in html
    assert '<td data-queue="general">0:00:53</td>' in html.split('data-metric="asa_s"><th')[1]
    plain = html.split('data-metric="abandonment_rate"><th')[1].split("</tr>")[0]
    assert "Of the callers who waited more than a few seconds, the share who gave up." in plain
    exact = plain.split("<details")[1]  # one click away: inside <details>, under its summary
    assert "<summary>Exact formula</summary>" in exact
    assert "abandoned ÷ (offered − short abandons) × 100" in exact
    employers_sl = html.split('data-metric="service_level"><th')[1].split("</tr>")[0]
    assert 'data-queue="employers">—</td>' in employers_sl


def test_a_day_with_no_calls_shows_dashes_not_errors(day, reports_client):
    client = reports_client("supervisor")
    for path in ("/reports", "/reports/advisers", "/reports/ivr"):
        page = client.get(path, query_string={"from": "2026-11-01", "to": "2026-11-01"})
        assert page.status_code == 200, path
        assert "—" in page.get_data(as_text=True)
    empty = stats(client, **{"from": "2026-11-01", "to": "2026-11-01"})
    assert (empty["offered"], empty["service_level"], empty["ivr"]["containment"],
            empty["advisers"]["occupancy"]) == (0, None, None, None)


def test_reports_are_for_supervisors_and_admins(day, reports_client, reports_app):
    assert reports_client("agent").get("/api/stats").status_code == 403
    assert reports_app.test_client().get("/api/stats").status_code == 401
    assert reports_client("admin").get("/api/stats").status_code == 200


def test_bad_filters_are_explained(day, reports_client):
    answer = reports_client("supervisor").get("/api/stats", query_string={"from": "23/11/2026"})
    assert answer.status_code == 400
    assert "YYYY-MM-DD" in answer.get_json()["error"]

