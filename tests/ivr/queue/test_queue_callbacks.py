"""Callbacks keep their place: Jobline calls back (REST, to Prism) when it is their turn and an
adviser is free, connects only after the person presses 1, and retries or gives up."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.routing import callbacks
from db.models import Callback, User
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import ACCOUNT, CALLER_ID, TOKEN
from tests.support.prism import form_of
from tests.support.queue import ask_callback, callee, created_calls, desk_of, dial, to_queue


def test_a_callback_waits_for_its_turn_then_an_adviser_talks_to_the_caller(qapp, caller, adviser, clock,
                                                                          twilio_http, s):
    agent_id = adviser(phone="+447700900901")
    ahead = to_queue(caller, "+447700900700")  # a live caller who joined first
    clock.tick(10)
    ask_callback(caller, "+447700900701")
    assert dial(qapp, clock) == []  # the live caller ahead is served first
    clock.tick(30)
    ahead.hangup()

    [cb_id] = dial(qapp, clock)
    [create] = created_calls(twilio_http)
    assert (form_of(create, "To"), form_of(create, "From")) == ("+447700900701", CALLER_ID)  # not the 0800
    assert form_of(create, "Url") == f"http://localhost/ivr/queue/callback-call/{cb_id}/answer"
    assert form_of(create, "StatusCallback") == f"http://localhost/ivr/queue/callback-call/{cb_id}/status"
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.attempts, cb.agent_id) == ("dialing", 1, agent_id)
    assert s.get(User, agent_id).status == "busy"
    assert dial(qapp, clock) == []  # the adviser is taken: nothing is dialled twice

    p = callee(qapp, form_of(create, "Url"))
    assert p.last_heard == ("Hello, this is the Employment Service Helpline, returning your call. "
                            "To be connected to an adviser now, press 1.")
    p.press("1")
    assert p.pending.tag == "Dial" and [n.text for n in p.pending] == ["+447700900901"]
    assert p.adviser_answers() == ["Jobline call from the General enquiries queue. Press 1 to take it."]
    clock.tick(200)
    p.adviser_hangs_up()
    assert p.ended
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.completed_at) == ("completed", clock())
    assert s.get(User, agent_id).status == "after_call"  # notes and a disposition on the desk next


def test_a_machine_or_no_answer_is_retried_then_the_callback_fails(qapp, caller, adviser, clock,
                                                                   twilio_http, s):
    adviser()
    ask_callback(caller, "+447700900702")
    [cb_id] = dial(qapp, clock)
    machine = callee(qapp, form_of(created_calls(twilio_http)[0], "Url"))
    machine.silence().silence()  # a voicemail greeting never presses 1
    assert machine.last_heard == "We will try to call you again later. Goodbye." and machine.ended
    s.expire_all()
    assert (s.get(Callback, cb_id).status, s.get(Callback, cb_id).attempts) == ("pending", 1)

    assert dial(qapp, clock) == []  # too soon to try again
    clock.tick(qapp.config["CALLBACK_RETRY_S"] + 1)
    assert dial(qapp, clock) == [cb_id]
    status = Phone(FlaskTransport(qapp.test_client()), TOKEN, account=ACCOUNT)
    code, _ = status.post(f"/ivr/queue/callback-call/{cb_id}/status",
                          status.params(CallStatus="no-answer", Direction="outbound-api"))
    assert code == 204
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.attempts) == ("failed", 2)  # CALLBACK_MAX_ATTEMPTS=2 in this app
    assert s.scalars(select(User.status)).all() == ["available"]


def test_the_job_is_queued_with_no_arguments_and_explicit_limits(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    connection = Redis.from_url(redis_url)
    job = callbacks.enqueue_dial_due_callbacks(connection)
    assert (job.func_name, job.args, job.kwargs) == (
        "callcenter.routing.callbacks.dial_due_callbacks", (), {})
    assert (job.timeout, job.result_ttl, job.failure_ttl, job.origin) == (60, 300, 7 * 24 * 3600, "callbacks")
    scheduler = CronScheduler(connection=connection)
    callbacks.register_cron(scheduler)
    [cron] = scheduler.get_jobs()
    assert (cron.queue_name, cron.interval) == ("callbacks", callbacks.TICK_S)


def test_the_browser_phone_token_names_the_adviser_by_id_only(qapp, adviser, s):
    import jwt
    import pytest

    from callcenter.routing import claims as routing
    from config.settings import ConfigError

    agent = s.get(User, adviser())
    config = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_API_KEY": "SK" + "2" * 32,
              "TWILIO_API_SECRET": "secret", "TWILIO_TWIML_APP_SID": "AP" + "3" * 32}
    claims = jwt.decode(routing.voice_token(config, agent), options={"verify_signature": False})
    assert claims["grants"]["identity"] == f"agent-{agent.id}"
    assert claims["grants"]["voice"]["incoming"] == {"allow": True}
    with pytest.raises(ConfigError, match="TWILIO_TWIML_APP_SID"):
        routing.voice_token({**config, "TWILIO_TWIML_APP_SID": ""}, agent)


def test_a_supervisor_puts_a_failed_callback_back_in_line(qapp, caller, clock, twilio_http, s):
    agent, supervisor = desk_of(qapp, "ada"), desk_of(qapp, "sam", role="supervisor")
    ask_callback(caller, "+447700900703")
    status = Phone(FlaskTransport(qapp.test_client()), TOKEN, account=ACCOUNT)
    for _ in range(2):  # CALLBACK_MAX_ATTEMPTS=2 in this app: two tries, no one answers
        [cb_id] = dial(qapp, clock)
        code, _ = status.post(f"/ivr/queue/callback-call/{cb_id}/status",
                              status.params(CallStatus="no-answer", Direction="outbound-api"))
        assert code == 204
        clock.tick(qapp.config["CALLBACK_RETRY_S"] + 1)
    s.expire_all()
    assert (s.get(Callback, cb_id).status, s.get(Callback, cb_id).attempts) == ("failed", 2)

    [row] = supervisor.get("/api/desk").get_json()["callbacks"]
    assert (row["id"], row["status"], row["attempts"]) == (cb_id, "failed", 2)
    assert agent.get("/api/desk").get_json()["callbacks"] == []  # advisers see only those to call
    assert agent.send("POST", f"/api/callbacks/{cb_id}/retry").status_code == 403
    state = supervisor.send("POST", f"/api/callbacks/{cb_id}/retry").get_json()
    assert [(c["id"], c["status"], c["attempts"]) for c in state["callbacks"]] == [(cb_id, "pending", 0)]
    again = supervisor.send("POST", f"/api/callbacks/{cb_id}/retry")
    assert again.status_code == 409 and "this one is pending" in again.get_json()["error"]
    s.expire_all()
    assert s.get(Callback, cb_id).agent_id is None
    assert dial(qapp, clock) == [cb_id]  # called again at once: it kept its place in line


def test_the_desk_shows_the_callback_then_its_after_call_work_until_done(qapp, caller, clock, twilio_http, s):
    desk = desk_of(qapp, "ada")
    ask_callback(caller, "+447700900701")
    [cb_id] = dial(qapp, clock)

    # Jobline rings the caller: the desk already says who and why; nothing to wrap up yet.
    current = desk.get("/api/desk").get_json()["current"]
    assert (current["kind"], current["id"], current["status"]) == ("callback", cb_id, "calling_back")
    assert (current["queue"], current["phone"]) == ("general", "+44•••••••701")  # masked
    early = desk.send("POST", f"/api/callbacks/{cb_id}/wrap-up", {"disposition": "resolved"})
    assert early.status_code == 409 and "has not answered yet" in early.get_json()["error"]
    assert desk.send("PUT", "/api/me/status", {"status": "break"}).status_code == 409
    assert desk.send("POST", "/api/answer").status_code == 409

    p = callee(qapp, form_of(created_calls(twilio_http)[0], "Url"))
    p.press("1")
    assert desk.get("/api/desk").get_json()["current"]["status"] == "connected"
    assert desk.send("PUT", f"/api/callbacks/{cb_id}/notes",
                     {"notes": "Payment date explained"}).status_code == 200
    p.adviser_answers()  # the adviser presses 1 in the whisper
    clock.tick(200)
    p.adviser_hangs_up()
    assert p.last_heard.startswith("Thank you for calling")

    state = desk.get("/api/desk").get_json()
    assert state["me"]["status"] == "after_call"
    assert (state["current"]["status"], state["current"]["notes"]) == ("ended", "Payment date explained")
    bad = desk.send("POST", f"/api/callbacks/{cb_id}/wrap-up", {"disposition": "made_up"})
    assert bad.status_code == 400 and "Choose a disposition" in bad.get_json()["error"]

    clock.tick(40)
    done = desk.send("POST", f"/api/callbacks/{cb_id}/wrap-up", {"disposition": "resolved"}).get_json()
    assert done["current"] is None and done["me"]["status"] == "available"
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.disposition, cb.notes, cb.wrapped_at) == ("resolved", "Payment date explained", clock())
    again = desk.send("POST", f"/api/callbacks/{cb_id}/wrap-up", {"disposition": "resolved"})
    assert again.status_code == 409 and "already wrapped up" in again.get_json()["error"]

    # The caller rings again: their previous contact reads as the adviser closed it.
    to_queue(caller, "+447700900701")
    [row] = desk.get("/api/desk").get_json()["waiting"]
    [previous, *_] = desk.get(f"/api/entries/{row['id']}").get_json()["history"]
    assert (previous["disposition"], previous["notes"], previous["adviser"]) == (
        "resolved", "Payment date explained", "Ada Lovell")


def test_done_while_still_talking_ends_the_callback_at_twilio(qapp, caller, clock, twilio_http, s):
    desk = desk_of(qapp, "bo")
    ask_callback(caller, "+447700900701")
    [cb_id] = dial(qapp, clock)
    p = callee(qapp, form_of(created_calls(twilio_http)[0], "Url"))
    p.press("1")
    clock.tick(90)
    before = len(twilio_http.sent)
    done = desk.send("POST", f"/api/callbacks/{cb_id}/wrap-up", {"disposition": "info_sent"}).get_json()
    assert done["current"] is None and done["me"]["status"] == "available"
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.completed_at, cb.wrapped_at) == ("completed", clock(), clock())
    # The call Jobline placed is hung up through the REST API (and the adviser's leg with it).
    [(method, path, form)] = twilio_http.sent[before:]
    assert (method, path.rsplit("/", 1)[-1], form) == ("POST", f"{cb.outbound_sid}.json",
                                                      {"Status": ["completed"]})


def test_a_try_whose_status_never_comes_frees_the_adviser_after_five_minutes(qapp, caller, adviser, clock,
                                                                             twilio_http, s):
    from datetime import timedelta

    from ivr.queue import lost_calls

    agent_id = adviser(phone="+447700900901")
    ask_callback(caller, "+447700900701")
    [cb_id] = dial(qapp, clock)  # Twilio rings the caller; then no word of that call ever arrives
    tried_at = clock()
    assert lost_calls.close_lost_callback_tries(now=tried_at + timedelta(minutes=4)) == 0
    assert lost_calls.close_lost_callback_tries(now=tried_at + timedelta(minutes=6)) == 1
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.attempts, cb.agent_id) == ("pending", 1, None)  # tried again later
    assert s.get(User, agent_id).status == "available"
    assert lost_calls.close_lost_callback_tries(now=tried_at + timedelta(minutes=7)) == 0
