"""Clock changes, the live wallboard, CSV downloads and demo traffic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from callcenter.accounts import users as accounts
from db import session as db
from db.models import Callback, User
from tests.support.csv_download import csv_parts, csv_table
from tests.support.reports_script import NOW, at


def stats(client, first, last, **args):
    answer = client.get("/api/stats", query_string={"from": first, "to": last, **args})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def queued_call(sc, started, wait=10):
    call = sc.call(started, "answered", nodes=("main", "adviser"))
    sc.leg(call, "general", started + timedelta(seconds=20), "answered", wait=wait, talk=60)
    return call


def test_autumn_clock_change_day_has_25_hours(script, reports_client):
    # 25 October 2026: BST (UTC+1) ends at 01:00 UTC, so local 01:00-02:00 happens twice.
    day = datetime(2026, 10, 25, tzinfo=UTC)
    queued_call(script, datetime(2026, 10, 24, 23, 30, tzinfo=UTC))  # 00:30 BST on the 25th
    queued_call(script, at(day, 0, 30))  # 01:30 BST
    queued_call(script, at(day, 1, 30))  # 01:30 GMT, an hour later
    queued_call(script, at(day, 23, 30))  # 23:30 GMT on the 25th
    queued_call(script, datetime(2026, 10, 26, 0, 10, tzinfo=UTC))  # the 26th
    script.done()
    client = reports_client("supervisor")
    got = stats(client, "2026-10-25", "2026-10-25")
    assert (got["offered"], got["ivr"]["calls"]) == (4, 4)
    assert stats(client, "2026-10-24", "2026-10-24")["offered"] == 0
    assert stats(client, "2026-10-26", "2026-10-26")["offered"] == 1

    from callcenter.reports.metrics import parse_filters
    from callcenter.reports.queue_metrics import queue_report

    flow = client.application.extensions["jobline.flow"]
    with db.SessionLocal() as s:
        report = queue_report(s, parse_filters({"from": "2026-10-25"}, "Europe/London", NOW.date()), flow)
    # Local hours: 00 (00:30 BST), 01 twice (BST and GMT), 23.
    assert {row["hour"]: row["offered"] for row in report["by_hour"] if row["offered"]} == {0: 1, 1: 2, 23: 1}
    assert report["heatmap"][6][1] == 2  # a Sunday


def test_spring_clock_change_day_has_23_hours(script, reports_client):
    # 29 March 2026: clocks go forward at 01:00 UTC; the local day ends at 23:00 UTC.
    queued_call(script, datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 00:30 GMT
    queued_call(script, datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 23:30 BST, still the 29th
    queued_call(script, datetime(2026, 3, 29, 23, 30, tzinfo=UTC))  # 00:30 BST on the 30th
    script.done()
    client = reports_client("supervisor")
    assert stats(client, "2026-03-29", "2026-03-29")["offered"] == 2
    assert stats(client, "2026-03-30", "2026-03-30")["offered"] == 1


def test_callback_figures_count_every_callback_asked_for_in_the_period(script, reports_client):
    sc = script
    day = NOW.replace(hour=0) - timedelta(days=1)

    def callback(queue, status, requested, *, attempts, connected_after=None, language="en", leg=None):
        call = leg.call if leg is not None else sc.call(requested - timedelta(seconds=40), "callback",
                                                        nodes=("main",), language=language)
        connected = requested + timedelta(seconds=connected_after) if connected_after else None
        sc.add(Callback(call_id=call.id, queue_entry_id=leg.id if leg else None, queue=queue,
                        phone="+447700900009", status=status, requested_at=requested, enqueued_at=requested,
                        attempts=attempts, language=language, connected_at=connected))

    queued = sc.call(at(day, 9), "callback", nodes=("main", "adviser"))
    leg = sc.leg(queued, "general", at(day, 9, 0, 30), "callback", wait=30)
    callback("general", "completed", leg.left_at, attempts=2, connected_after=1800, leg=leg)  # tried twice
    callback("general", "failed", at(day, 10), attempts=3)  # from the menus, never reached
    callback("general", "pending", at(day, 11), attempts=1, language="es")
    callback("benefits", "completed", at(day, 12), attempts=1, connected_after=600)
    # the day before: not in this period
    callback("general", "completed", at(day - timedelta(days=1), 12), attempts=1, connected_after=60)
    sc.done()
    client = reports_client("supervisor")
    day_s = day.date().isoformat()
    got = stats(client, day_s, day_s)
    keys = ("callbacks_requested", "callbacks_completed", "callbacks_failed", "callback_attempts",
            "time_to_callback_s")
    assert {k: got["queues"]["general"][k] for k in keys} == {
        "callbacks_requested": 3, "callbacks_completed": 1, "callbacks_failed": 1, "callback_attempts": 6,
        "time_to_callback_s": 1800.0}
    assert {k: got[k] for k in keys} == {  # both queues: (1800 + 600) / 2
        "callbacks_requested": 4, "callbacks_completed": 2, "callbacks_failed": 1, "callback_attempts": 7,
        "time_to_callback_s": 1200.0}
    spanish = stats(client, day_s, day_s, language="es")
    assert {k: spanish[k] for k in keys} == {
        "callbacks_requested": 1, "callbacks_completed": 0, "callbacks_failed": 0, "callback_attempts": 1,
        "time_to_callback_s": None}
    page = client.get("/reports", query_string={"from": day_s, "to": day_s}).get_data(as_text=True)
    assert 'data-metric="time_to_callback_s"' in page and "Mean time to callback" in page


def test_wallboard_shows_the_floor_now(script, reports_client):
    sc = script
    today = NOW.replace(hour=0)
    a, _ = accounts.create_user(sc.s, "adviser.a", "Adviser A", "agent", password="correct horse battery 9",
                                queues=["general"])
    b, _ = accounts.create_user(sc.s, "adviser.b", "Adviser B", "agent", password="correct horse battery 9",
                                queues=["benefits"])
    c, _ = accounts.create_user(sc.s, "adviser.c", "Adviser C", "agent", password="correct horse battery 9",
                                queues=["general", "benefits"])
    a.status, b.status, c.status = "available", "busy", "break"
    answered = sc.call(at(today, 11), "answered", nodes=("main", "adviser"))
    sc.leg(answered, "general", at(today, 11, 0, 30), "answered", wait=20, agent=a.id, talk=60)
    for waited in (90, 30):
        call = sc.call(NOW - timedelta(seconds=waited + 40), None, nodes=("main", "adviser"))
        sc.leg(call, "general", NOW - timedelta(seconds=waited), None, wait=0)
    sc.call(NOW - timedelta(seconds=20), None, nodes=("main",))  # still in the menus
    old = sc.call(at(today - timedelta(days=1), 10), "callback", nodes=("main", "adviser"))
    leg = sc.leg(old, "general", at(today - timedelta(days=1), 10, 1), "callback", wait=70)
    sc.add(Callback(call_id=old.id, queue_entry_id=leg.id, queue="general", phone="+447700900009",
                    status="pending", requested_at=leg.left_at, enqueued_at=leg.enqueued_at))
    sc.done()
    client = reports_client("supervisor")
    board = client.get("/api/wallboard").get_json()
    general = next(q for q in board["queues"] if q["queue"] == "general")
    benefits = next(q for q in board["queues"] if q["queue"] == "benefits")
    # Today: 3 offered (1 answered within 60 s, 2 still waiting): 1 / 3 = 33.3 %.
    keys = ("waiting", "longest_wait_s", "available", "on_call", "after_call", "on_break",
            "callbacks_pending",
            "offered", "answered", "service_level", "abandonment_rate")
    assert {k: general[k] for k in keys} == {
        "waiting": 2, "longest_wait_s": 90, "available": 1, "on_call": 0, "after_call": 0, "on_break": 1,
        "callbacks_pending": 1, "offered": 3, "answered": 1, "service_level": 33.3, "abandonment_rate": 0.0}
    assert sorted(general["breach"]) == ["longest_wait_s", "service_level"]
    assert (benefits["on_call"], benefits["on_break"], benefits["service_level"]) == (1, 1, None)
    assert board["in_ivr"] == 1
    page = client.get("/wallboard").get_data(as_text=True)
    assert "1:30" in page and "33%" in page and 'data-poll-ms="1500"' in page


def test_csv_carries_formulas_and_masks_numbers_for_supervisors(script, reports_client):
    x = script.caller("+447700900123")
    call = script.call(at(NOW.replace(hour=0), 9), "answered", caller=x, nodes=("main", "adviser"))
    script.leg(call, "general", at(NOW.replace(hour=0), 9, 1), "answered", wait=10, talk=60)
    from db.models import Capture

    script.add(Capture(call_id=call.id, field="id_number", status="captured", value="12345674",
                       created_at=at(NOW.replace(hour=0), 9, 0, 30)))
    script.done()
    day = {"from": "2026-11-24", "to": "2026-11-24"}
    supervisor = reports_client("supervisor")
    rows, notes = csv_parts(supervisor.get("/reports/queues.csv", query_string=day))
    assert any("(offered − short abandons)" in n[1] for n in notes if n[0] == "# formula service_level")
    assert rows[0][:5] == ["queue", "queue_label", "service_level_hms", "offered", "answered"]
    employers = next(r for r in rows if r[0] == "employers")
    assert employers[rows[0].index("service_level")] == "—"
    masked = supervisor.get("/reports/calls.csv", query_string=day).get_data(as_text=True)
    assert "+447700900123" not in masked and "12345674" not in masked
    assert "+44•••••••123" in masked and "••••••74" in masked
    full = reports_client("admin").get("/reports/calls.csv", query_string=day)
    assert b"+447700900123" in full.get_data() and b"12345674" in full.get_data()
    body = csv_table(full)
    assert body[0][0] == "call_sid" and len(body) == 2
    assert body[1][body[0].index("wait_hms")] == "0:00:10"


def test_demo_traffic_is_deterministic_and_shaped_like_a_helpdesk(reports_app):
    from sqlalchemy import func, select

    from callcenter.demo.seed import seed_demo
    from db.models import Call, Callback, QueueEntry

    seen: list[tuple[int, int]] = []
    counts = seed_demo(db.SessionLocal, days=14, calls=3000, progress=lambda d, t: seen.append((d, t)),
                       seed=3, now=NOW)
    assert seen[-1] == (counts["calls"], counts["calls"])
    with db.SessionLocal() as s:
        outcomes = dict(s.execute(select(Call.outcome, func.count()).group_by(Call.outcome)).all())
        starts = s.scalars(select(Call.started_at)).all()
        legs = s.scalar(select(func.count()).select_from(QueueEntry))
        advisers = s.scalar(select(func.count()).select_from(User))
        # Demo callbacks that were talked through are wrapped up: no adviser opens the desk to an
        # old callback's after-call work.
        unwrapped = s.scalar(select(func.count()).select_from(Callback).where(
            Callback.status == "completed", Callback.wrapped_at.is_(None)))
        talked = s.scalar(select(func.count()).select_from(Callback).where(Callback.status == "completed"))
    assert unwrapped == 0 and talked > 0
    assert {"answered", "abandoned", "self_service", "ivr_hangup", "callback"} <= set(outcomes)
    assert legs > 1000 and advisers >= 6
    local = [t.astimezone(ZoneInfo("Europe/London")) for t in starts]
    mondays = sum(1 for t in local if t.weekday() == 0 and 9 <= t.hour < 12)
    wednesdays = sum(1 for t in local if t.weekday() == 2 and 9 <= t.hour < 12)
    assert mondays > wednesdays  # the Monday-morning rush
    again = seed_demo(db.SessionLocal, days=14, calls=3000, seed=3, now=NOW)
    assert again == counts  # same seed, same traffic (appended after the first run)
