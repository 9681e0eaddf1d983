"""Callbacks keep their place: Jobline calls back (REST, to Prism) when it is their turn and an
adviser is free, connects only after the person presses 1, and retries or gives up."""

from __future__ import annotations

from prism_mock import form_of
from sqlalchemy import select
from test_queue_calls import to_queue

from callcenter import callbacks
from db.models import Callback, User
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ACCOUNT, TOKEN


def ask_callback(caller, number: str) -> None:
    p = to_queue(caller, number)
    p.press("1").press("1")
    assert p.ended
    p.hangup()


def dial(qapp, clock) -> list[int]:
    with qapp.app_context():
        return callbacks.dial_due(qapp.config, qapp.extensions["jobline.flow"], clock())


def created_calls(twilio_http) -> list[dict[str, list[str]]]:
    return [form for method, path, form in twilio_http.sent
            if method == "POST" and path.endswith("/Calls.json")]


def callee(qapp, url: str) -> Phone:
    """The person called back picks up: Twilio fetches the call's Url."""
    p = Phone(FlaskTransport(qapp.test_client()), TOKEN, caller="+18005550100", to="+447700900701",
              account=ACCOUNT)
    p.request(url, Direction="outbound-api")
    return p


def test_a_callback_waits_for_its_turn_then_an_adviser_talks_to_the_caller(qapp, caller, adviser, clock,
                                                                          twilio_http, s):
    agent_id = adviser(phone="+447700900901")
    ahead = to_queue(caller, "+447700900700")  # a live caller who joined first
    clock.tick(10)
    ask_callback(caller, "+447700900701")
    assert dial(qapp, clock) == []  # the live caller ahead is served first
    ahead.queue_time = 40
    ahead.hangup()

    [cb_id] = dial(qapp, clock)
    [create] = created_calls(twilio_http)
    assert (form_of(create, "To"), form_of(create, "From")) == ("+447700900701", "+18005550100")
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
    clock.tick(200)
    p.adviser_hangs_up()
    assert p.ended
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.completed_at) == ("completed", clock())
    assert s.get(User, agent_id).status == "available"


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
    clock.tick(callbacks.DEFAULT_RETRY_S + 1)
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
    assert (job.func_name, job.args, job.kwargs) == ("callcenter.callbacks.dial_due_callbacks", (), {})
    assert (job.timeout, job.result_ttl, job.failure_ttl, job.origin) == (60, 300, 7 * 24 * 3600, "callbacks")
    scheduler = CronScheduler(connection=connection)
    callbacks.register_cron(scheduler)
    [cron] = scheduler.get_jobs()
    assert (cron.queue_name, cron.interval) == ("callbacks", callbacks.TICK_S)


def test_the_browser_phone_token_names_the_adviser_by_id_only(qapp, adviser, s):
    import jwt
    import pytest

    from callcenter import routing
    from config.settings import ConfigError

    agent = s.get(User, adviser())
    config = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_API_KEY": "SK" + "2" * 32,
              "TWILIO_API_SECRET": "secret", "TWILIO_TWIML_APP_SID": "AP" + "3" * 32}
    claims = jwt.decode(routing.voice_token(config, agent), options={"verify_signature": False})
    assert claims["grants"]["identity"] == f"agent-{agent.id}"
    assert claims["grants"]["voice"]["incoming"] == {"allow": True}
    with pytest.raises(ConfigError, match="TWILIO_TWIML_APP_SID"):
        routing.voice_token({**config, "TWILIO_TWIML_APP_SID": ""}, agent)
