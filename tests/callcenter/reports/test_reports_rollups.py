"""Reports from the rollups are the reports straight from the raw rows, figure for figure.

Demo traffic over two weeks, rolled up as seed-demo does; then every report, with each filter,
for periods wholly rolled up, ending today (part live) and reaching before the first call,
compared with the same report computed from the raw rows only. And the job: running it twice
changes nothing, a late change to a settled hour is picked up at its next run, a queue's new
service-level target is never mixed with counts made under the old one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callcenter.demo.seed import seed_demo
from callcenter.reports.agent_metrics import agent_report
from callcenter.reports.ivr_metrics import ivr_report
from callcenter.reports.metrics import parse_filters
from callcenter.reports.queue_metrics import queue_report
from callcenter.reports.rollups.build import INTERVAL_S, roll_up
from db import session as db
from db.models import Call, QueueEntry
from db.models.rollups import AdviserLegRollup, IvrRollup, QueueRollup, RollupState
from tests.support.reports_script import NOW, at

TZ = "Europe/London"


def reports(s, flow, **args):
    f = parse_filters(args, TZ, NOW.date())
    return {"queue": lambda rollups: queue_report(s, f, flow, NOW, rollups),
            "advisers": lambda rollups: agent_report(s, f, NOW, rollups),
            "ivr": lambda rollups: ivr_report(s, f, NOW, rollups)}


def assert_same_as_raw(s, flow, **args):
    for name, report in reports(s, flow, **args).items():
        assert report(True) == report(False), (name, args)


@pytest.fixture
def demo(reports_app):
    flow = reports_app.extensions["jobline.flow"]
    seed_demo(db.SessionLocal, days=14, calls=2500, seed=5, now=NOW, flow=flow)
    return flow


def test_every_report_from_rollups_equals_the_report_from_raw_rows(demo):
    with db.SessionLocal() as s:
        state = s.get(RollupState, 1)
        assert state.rolled_until == NOW.replace(hour=8)  # settled: four hours before NOW
        assert s.scalar(select(func.count()).select_from(QueueRollup)) > 100
        agent = s.scalar(select(QueueEntry.agent_id).where(QueueEntry.agent_id.is_not(None)).limit(1))
        intent = s.scalar(select(Call.reason).where(Call.reason.is_not(None)).limit(1))
        for period in ({"from": "2026-11-12", "to": "2026-11-22"},  # settled: rollups only
                       {"from": "2026-11-17", "to": "2026-11-24"},  # ends today: rollups + live
                       {"from": "2026-11-01", "to": "2026-11-24"},  # starts before the first call
                       {"from": "2026-11-24", "to": "2026-11-24"}):  # today only
            assert_same_as_raw(s, demo, **period)
        for args in ({"queue": "benefits"}, {"language": "es"}, {"intent": intent}, {"agent": str(agent)},
                     {"queue": "general", "language": "fr"}, {"agent": str(agent), "intent": intent}):
            assert_same_as_raw(s, demo, **{"from": "2026-11-14", "to": "2026-11-24"}, **args)


def test_idle_time_before_the_first_call_is_rolled_up_too(reports_app, script):
    from callcenter.accounts import users as accounts

    flow = reports_app.extensions["jobline.flow"]
    adviser, _ = accounts.create_user(script.s, "early.bird", "Early Bird", "agent",
                                      password="correct horse battery 9", queues=["general"])
    day = NOW.replace(hour=0) - timedelta(days=1)
    script.status(adviser.id, (at(day, 7), "available"), (at(day, 8, 30), "offline"))
    call = script.call(at(day, 9), "answered", nodes=("main", "adviser"))
    script.leg(call, "general", at(day, 9, 1), "answered", wait=5, agent=adviser.id, talk=60)
    script.done()
    with db.SessionLocal.begin() as s:
        assert roll_up(s, flow, NOW)[0] == at(day, 7)
    with db.SessionLocal() as s:
        assert_same_as_raw(s, flow, **{"from": "2026-11-23", "to": "2026-11-23"})
        report = agent_report(s, parse_filters({"from": "2026-11-23"}, TZ, NOW.date()), NOW)
        assert report["total"]["idle_s"] == 5400


def test_true_containment_counts_repeat_calls_made_since_the_job_ran(demo):
    later = NOW + timedelta(minutes=30)
    f = parse_filters({"from": "2026-11-20", "to": "2026-11-24"}, TZ, NOW.date())
    with db.SessionLocal.begin() as s:  # callers of yesterday's self-service calls ring again
        before = ivr_report(s, f, NOW)["total"]["truly_contained"]
        for old in s.scalars(select(Call).where(Call.outcome == "self_service", Call.caller_id.is_not(None),
                                                Call.started_at > NOW - timedelta(hours=20),
                                                Call.started_at < NOW - timedelta(hours=5)).limit(5)):
            s.add(Call(sid=f"CA{'f' * 16}{old.id:016x}", caller_id=old.caller_id, started_at=later,
                       outcome="ivr_hangup", status="completed", language=old.language))
    with db.SessionLocal() as s:
        rolled = ivr_report(s, f, later)
        assert rolled == ivr_report(s, f, later, rollups=False)
        assert rolled["total"]["truly_contained"] < before


def test_running_the_job_again_changes_nothing(demo):
    def rows():
        with db.SessionLocal() as s:
            # seconds to the microsecond: the database may add a group's floats in another order
            return [sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r)
                           for r in s.execute(select(*t.__table__.c)))
                    for t in (QueueRollup, AdviserLegRollup, IvrRollup)]

    before = rows()
    for _ in range(2):
        with db.SessionLocal.begin() as s:
            covered = roll_up(s, demo, NOW)
        assert covered == (NOW.replace(hour=8) - timedelta(hours=48), NOW.replace(hour=8))
    assert rows() == before  # no hour counted twice
    with db.SessionLocal.begin() as s:
        assert roll_up(s, demo, NOW, rebuild=True)[0] < NOW - timedelta(days=13)
    assert rows() == before


def test_a_late_change_to_a_settled_hour_is_picked_up_by_the_next_run(demo):
    later = NOW + timedelta(seconds=INTERVAL_S)
    with db.SessionLocal.begin() as s:
        leg = s.scalars(select(QueueEntry).join(Call, Call.id == QueueEntry.call_id)
                        # Monday, from midnight (its morning rush has abandons) to Tuesday 08:00
                        .where(QueueEntry.outcome == "abandoned", Call.started_at >= at(NOW, -36),
                               Call.started_at < NOW.replace(hour=8))
                        .order_by(QueueEntry.id).limit(1)).one()
        leg.outcome = "callback"  # e.g. a status written late by a retried job
    with db.SessionLocal() as s:
        stale = reports(s, demo, **{"from": "2026-11-23", "to": "2026-11-24"})["queue"]
        assert stale(True) != stale(False)  # settled hours are read from the rollups until the job runs
    with db.SessionLocal.begin() as s:
        roll_up(s, demo, later)
    with db.SessionLocal() as s:
        assert_same_as_raw(s, demo, **{"from": "2026-11-23", "to": "2026-11-24"})


def test_a_new_service_level_target_is_never_mixed_with_old_counts(demo):
    # As if config/ivr.yaml changed and the app restarted: T of 'general' from 60 s to 20 s.
    general = replace(demo.queues["general"], service_level_s=20)
    flow = replace(demo, queues={**demo.queues, "general": general})
    with db.SessionLocal() as s:
        assert_same_as_raw(s, flow, **{"from": "2026-11-14", "to": "2026-11-24"})  # all raw until rebuilt
    with db.SessionLocal.begin() as s:
        assert roll_up(s, flow, NOW)[0] < NOW - timedelta(days=13)  # rebuilt from the first call
        assert s.get(RollupState, 1).targets["general"] == 20
    with db.SessionLocal() as s:
        assert_same_as_raw(s, flow, **{"from": "2026-11-14", "to": "2026-11-24"})
        f = parse_filters({"from": "2026-11-14", "to": "2026-11-24"}, TZ, NOW.date())
        assert queue_report(s, f, flow, NOW) != queue_report(s, f, demo, NOW, rollups=False)


def test_the_worker_runs_the_job_on_a_timer(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    from callcenter.reports.rollups import build as rollup_build

    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    rollup_build.register_cron(scheduler, "speech")
    [cron] = scheduler.get_jobs()
    assert (cron.queue_name, cron.interval, cron.func) == ("speech", INTERVAL_S, rollup_build.roll_up_reports)


def test_an_hour_is_not_settled_while_a_call_from_it_may_still_be_open(reports_app, script):
    """Twilio calls may last 24 hours: a conversation that began at 06:10 and still goes on at
    noon keeps 06:00 out of the rollups; when it ends, the reports count it at once."""
    from callcenter.accounts import users as accounts

    flow, day = reports_app.extensions["jobline.flow"], NOW.replace(hour=0)
    adviser, _ = accounts.create_user(script.s, "long.talker", "Long Talker", "agent",
                                      password="correct horse battery 9", queues=["general"])
    long_call = script.call(at(day, 6, 10), None, nodes=("main", "adviser"))
    leg = script.leg(long_call, "general", at(day, 6, 11), None, wait=20)
    leg.status, leg.answered_at, leg.agent_id = "connected", at(day, 6, 11, 20), adviser.id
    lost = script.call(NOW - timedelta(hours=30), None)  # its final status never came: Twilio ended it
    short = script.call(at(day, 7), "self_service")
    script.done()
    assert (lost.ended_at, short.ended_at is not None) == (None, True)
    with db.SessionLocal.begin() as s:
        assert roll_up(s, flow, NOW)[1] == at(day, 6)  # not 08:00, four hours before noon
        assert s.get(RollupState, 1).rolled_until == at(day, 6)

    ended = at(day, 12, 30)
    with db.SessionLocal.begin() as s:  # the conversation ends; the rollup job has not run since
        call, entry = s.get(Call, long_call.id), s.get(QueueEntry, leg.id)
        call.status, call.outcome, call.ended_at = "completed", "answered", ended
        entry.status, entry.outcome, entry.ended_at, entry.wrapped_at = "ended", "answered", ended, ended
    with db.SessionLocal() as s:
        f = parse_filters({"from": "2026-11-24", "to": "2026-11-24"}, TZ, NOW.date())
        queue = queue_report(s, f, flow, ended, True)
        assert queue == queue_report(s, f, flow, ended, False)
        advisers = agent_report(s, f, ended, True)
        assert advisers == agent_report(s, f, ended, False)
        assert advisers["total"]["handled"] == 1
