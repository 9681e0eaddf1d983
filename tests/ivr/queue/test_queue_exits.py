"""Every way out of the queue ends with a person, a callback or a message, and the outcome
METRICS.md defines: no advisers, closed, a long wait, hanging up early or late, a transfer."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.routing import claims as routing
from db import session as db
from db.models import Call, Callback, QueueEntry, User
from tests.support.prism import form_of
from tests.support.queue import legs_of, outcome, put_through, to_queue


def test_with_no_adviser_logged_in_the_caller_is_offered_a_callback_or_a_message(caller, adviser, s):
    adviser(status="offline")
    p = to_queue(caller, "+447700900601")
    assert "No adviser for this service is available at the moment." in p.heard_since(-2)
    assert p.last_heard == "To be called back by an adviser, press 1. To leave a message, press 2."
    assert p.queue is None and legs_of(s, p) == []
    p.silence()  # silence takes a message: nobody is held for ever
    assert p.pending.tag == "Record" and "Please leave your name" in p.last_heard
    p.record(sid="RE" + "b" * 32, duration=9)
    p.hangup()
    assert outcome(s, p) == "voicemail"


def test_when_closed_a_callback_is_booked_for_when_advisers_are_back(make_app, adviser, s):
    from ivr.telephony.simulator import FlaskTransport, Phone
    from tests.support.env import ACCOUNT, CLOSED_TIME, TOKEN

    app = make_app(CLOCK=lambda: CLOSED_TIME)
    adviser()
    p = Phone(FlaskTransport(app.test_client()), TOKEN, caller="+447700900602", account=ACCOUNT)
    p.dial().press("1").press("0")
    assert "Our advisers are not available at the moment." in p.heard_since(-4)
    p.press("1").press("1")
    assert "as soon as our advisers are available" in p.heard_since(-2)
    p.hangup()
    assert outcome(s, p) == "callback"
    cb = s.scalar(select(Callback))
    assert (cb.queue_entry_id, cb.enqueued_at) == (None, CLOSED_TIME)


def test_hanging_up_in_the_first_seconds_is_a_short_abandon_later_an_abandon(caller, adviser, clock, s):
    adviser()
    quick = to_queue(caller, "+447700900603")
    clock.tick(3)
    quick.hangup()
    slow = to_queue(caller, "+447700900604")
    clock.tick(95)
    slow.hangup()
    assert [(leg.status, leg.outcome) for leg in legs_of(s, quick)] == [("left", "short_abandon")]
    assert [(leg.status, leg.outcome) for leg in legs_of(s, slow)] == [("left", "abandoned")]
    assert (outcome(s, quick), outcome(s, slow)) == ("short_abandon", "abandoned")


def test_after_the_longest_wait_the_caller_chooses_a_message(caller, adviser, clock, s):
    adviser()
    p = to_queue(caller, "+447700900605")
    clock.tick(901)  # general: max_wait_s 900
    p.hold()
    assert "We are sorry you have been waiting so long." in p.heard_since(-2)
    assert p.queue is None and p.last_heard.startswith("To be called back by an adviser, press 1.")
    p.press("2")
    assert p.pending.tag == "Record"
    assert [(leg.status, leg.outcome) for leg in legs_of(s, p)] == [("left", "voicemail")]


def test_a_full_queue_offers_a_callback_at_once(caller, adviser, qapp, s):
    adviser(queues=["employers"])
    from dataclasses import replace

    flow = qapp.extensions["jobline.flow"]
    flow.queues["employers"] = replace(flow.queues["employers"], max_size=1)
    first = caller("+447700900606").dial().press("1").press("4").press("2")
    assert first.queue is not None and first.queue.text == "employers"
    second = caller("+447700900607").dial().press("1").press("4").press("2")
    assert "too many people are already waiting" in second.heard_since(-2) and second.queue is None


def test_a_transfer_moves_the_caller_to_the_back_of_another_queue(qapp, caller, adviser, clock,
                                                                   twilio_http, s):
    first = adviser(queues=["general"], phone="+447700900901")
    adviser(queues=["benefits"])
    p = to_queue(caller, "+447700900608")
    with qapp.app_context(), db.SessionLocal() as desk:
        agent = desk.get(User, first)
        entry = routing.claim_next(desk, agent, clock())
        desk.commit()
        routing.connect(qapp.config, entry, agent)
        p.redirect(form_of(twilio_http.calls_updated()[-1], "Url"))
        p.adviser_answers()
        clock.tick(60)
        new = routing.transfer(desk, desk.get(QueueEntry, entry.id), agent, "benefits", clock())
        desk.commit()  # the REST move happens after the commit
    moved = twilio_http.calls_updated()[-1]
    assert form_of(moved, "Url") == f"http://localhost/ivr/queue/enqueue/{new.id}"
    p.redirect(form_of(moved, "Url"))
    assert "Please hold while we put you through to Benefits." in p.heard_since(-4)
    assert p.queue is not None and p.queue.text == "benefits"
    old, leg = legs_of(s, p)
    assert (old.outcome, leg.status, leg.transferred_from_id, leg.call_id) == (
        "transferred", "waiting", old.id, old.call_id)
    p.hangup()
    assert outcome(s, p) == "transferred"


def test_an_adviser_claiming_while_the_number_is_confirmed_still_gets_the_caller(qapp, caller, adviser,
                                                                                  clock, s):
    agent_id = adviser(phone="+447700900901")
    p = to_queue(caller, "+447700900609")
    p.press("1")  # asks for a callback: out of Twilio's queue, still in line with us
    with qapp.app_context(), db.SessionLocal() as desk:
        assert routing.claim_next(desk, desk.get(User, agent_id), clock()) is not None
        desk.commit()  # (the REST redirect would follow; here the caller confirms first)
    p.press("1")
    assert "An adviser is taking your call. Please hold." in p.heard_since(-3)
    assert p.pending.tag == "Dial" and [n.text for n in p.pending] == ["+447700900901"]
    assert s.scalars(select(Callback)).all() == []


def completed_at_twilio(twilio_http) -> list[str]:
    """The calls Jobline asked Twilio (Prism) to end: POST Calls/{sid}.json with Status=completed."""
    return [path.rsplit("/", 1)[-1].removesuffix(".json") for method, path, form in twilio_http.sent
            if method == "POST" and "/Calls/" in path and form_of(form, "Status") == "completed"]


def test_a_caller_twilio_stops_asking_about_is_closed_and_the_rest_move_up(caller, adviser, clock, qapp,
                                                                            twilio_http, s):
    from ivr.queue import lost_calls

    adviser()
    queues = list(qapp.extensions["jobline.flow"].queues)
    gone = to_queue(caller, "+447700900611")  # its line drops; no word of it ever reaches us
    last_seen = clock()
    clock.tick(30)
    staying = to_queue(caller, "+447700900612")
    assert "You are number 2 in line." in staying.heard_since(-3)
    for _ in range(8):  # on hold for four minutes: Twilio asks for the wait URL again and again
        clock.tick(30)
        staying.hold()
    assert lost_calls.close_lost_legs(queues, now=clock(), config=qapp.config) == 0  # not yet lost
    clock.tick(90)
    staying.hold()
    assert lost_calls.close_lost_legs(queues, now=clock(), config=qapp.config) == 1
    assert lost_calls.close_lost_legs(queues, now=clock(), config=qapp.config) == 0  # changes nothing
    # Twilio is told to end it, in case the caller is in fact still holding; once only.
    assert completed_at_twilio(twilio_http) == [gone.sid]
    [leg] = legs_of(s, gone)
    assert (leg.status, leg.outcome, leg.left_at) == ("left", "abandoned", last_seen)
    call = s.scalar(select(Call).where(Call.sid == gone.sid))
    assert (call.status, call.outcome, call.ended_at) == ("completed", "abandoned", last_seen)
    assert [(leg.status, leg.outcome) for leg in legs_of(s, staying)] == [("waiting", None)]
    staying.hold()
    assert "You are next in line." in staying.heard_since(-3)


def test_calls_lost_before_a_queue_are_closed_once_silent_for_an_hour(caller, adviser, clock, qapp,
                                                                       twilio_http, s):
    from datetime import timedelta

    from ivr.queue import lost_calls

    agent_id = adviser(phone="+447700900901")
    in_menus = caller("+447700900613").dial().press("1").press("2")  # then its line drops, unheard of
    talking = to_queue(caller, "+447700900614")
    put_through(qapp, agent_id, clock())
    talking.redirect(form_of(twilio_http.calls_updated()[0], "Url"))
    talking.adviser_answers()  # a long conversation follows, without a webhook
    on_hold = to_queue(caller, "+447700900615")  # waiting: close_lost_legs watches it, not this sweep
    s.expire_all()
    lost = s.scalar(select(Call).where(Call.sid == in_menus.sid))
    last_step = max(e.at for e in lost.events)

    for minutes, closed in ((59, 0), (61, 1), (180, 0)):  # at 3 h the talk still goes on
        now = last_step + timedelta(minutes=minutes)
        assert lost_calls.close_silent_calls(now=now, config=qapp.config) == closed
    assert completed_at_twilio(twilio_http) == [in_menus.sid]  # ended at Twilio too; no one else
    s.expire_all()
    lost = s.scalar(select(Call).where(Call.sid == in_menus.sid))
    assert (lost.status, lost.outcome, lost.ended_at) == ("completed", "ivr_hangup", last_step)
    for kept in (talking, on_hold):
        call = s.scalar(select(Call).where(Call.sid == kept.sid))
        assert (call.ended_at, call.outcome) == (None, None)


def test_the_sweep_runs_every_minute_on_the_flows_queues(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    from ivr.queue import lost_calls

    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    lost_calls.register_cron(scheduler, "callbacks", ["general", "benefits"])
    legs, tries, silent = scheduler.get_jobs()
    assert (legs.func, legs.args, legs.queue_name, legs.interval) == (
        lost_calls.close_lost_legs, (["general", "benefits"],), "callbacks", 60)
    assert (tries.func, tries.args, tries.queue_name, tries.interval) == (
        lost_calls.close_lost_callback_tries, (), "callbacks", 60)
    assert (silent.func, silent.args, silent.queue_name, silent.interval) == (
        lost_calls.close_silent_calls, (), "callbacks", 600)
