"""Issue 14: a callback try that reaches no one shows on the desk of the adviser who waited for it
(why, in words; Try again / Mark as not reached) and on the wallboard, instead of the desk saying
"their phone is ringing" for ever and the reason staying in the server log.

Twilio's REST side is Prism serving Twilio's spec. The spec has only the 201 of Calls.create, so
for a refusal the request still goes to Prism (which validates it) and its answer is replaced by
the error document Twilio sends (400 with code, message, more_info, status:
https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from twilio.http.response import Response

from callcenter.routing.callbacks import dial_due
from db import session as db
from db.models import Callback, User
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.desk import waiting_call
from tests.support.env import ACCOUNT, OPEN_TIME, TOKEN
from tests.support.prism import Clock, PrismHttpClient
from tests.support.queue import desk_of

pytestmark = pytest.mark.usefixtures("twilio_http")
MESSAGES = {21215: "Account not authorized to call +447911123456. Perhaps you need to enable some "
                   "international permissions: https://www.twilio.com/console/voice/calls/geo-permissions",
            21211: "Invalid 'To' Phone Number: +4479111234"}


class RefusingTwilio(PrismHttpClient):
    """Prism, except that Twilio refuses every new call with `code` (Prism still checks it)."""

    code: int | None = None

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):  # noqa: ANN001
        response = super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=allow_redirects)
        if self.code and method == "POST" and url.endswith("/Calls.json"):
            return Response(400, json.dumps({"code": self.code, "message": MESSAGES[self.code], "status": 400,
                                             "more_info": f"https://www.twilio.com/docs/errors/{self.code}"}))
        return response


@pytest.fixture
def twilio(prism_url, twilio_http) -> RefusingTwilio:
    client = RefusingTwilio(prism_url)
    yield client
    assert not client.problems, client.problems


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN_TIME)


@pytest.fixture
def app(make_app, twilio, clock):
    return make_app(TWILIO_HTTP_CLIENT=twilio, CALLBACK_MAX_ATTEMPTS=2, CLOCK=clock)


def _book() -> int:
    with db.SessionLocal.begin() as s:
        entry = waiting_call(s, phone="+447911123456", queue="general", now=OPEN_TIME)
        entry.status, entry.outcome, entry.left_at = "left", "callback", OPEN_TIME
        cb = Callback(call_id=entry.call_id, queue_entry_id=entry.id, queue="general", phone="+447911123456",
                      language="en", requested_at=OPEN_TIME, enqueued_at=entry.enqueued_at)
        s.add(cb)
        s.flush()
        return cb.id


def _dial(app) -> list[int]:
    return dial_due(app.config, app.extensions["jobline.flow"], app.config["CLOCK"]())


def test_twilio_refusing_the_call_shows_why_on_the_advisers_desk(app, twilio):
    desk = desk_of(app, "ada")
    cb_id = _book()
    twilio.code = 21215
    assert _dial(app) == []
    state = desk.get("/api/desk").get_json()
    assert state["current"] is None  # not "their phone is ringing"
    notice = state["failed_try"]
    assert notice["callback_id"] == cb_id and notice["status"] == "pending" and notice["can_retry"]
    assert notice["text"] == ("The call to the caller failed: calls to that country are not allowed "
                              "on the Twilio account.")
    # Try again: back in line at once (no wait for the retry delay), the notice gone.
    after = desk.send("POST", f"/api/callbacks/{cb_id}/try-again").get_json()
    assert after["failed_try"] is None
    with db.SessionLocal() as s:
        cb = s.get(Callback, cb_id)
        assert (cb.status, cb.last_attempt_at, cb.attempts) == ("pending", None, 1)
    twilio.code = None
    assert _dial(app) == [cb_id]  # dialled again, now accepted
    assert desk.get("/api/desk").get_json()["current"]["status"] == "calling_back"


def test_a_number_twilio_calls_invalid_fails_at_once_instead_of_ringing_again_later(app, twilio):
    desk = desk_of(app, "ada")
    cb_id = _book()
    twilio.code = 21211
    assert _dial(app) == []
    notice = desk.get("/api/desk").get_json()["failed_try"]
    assert notice["text"].endswith("the number is not a valid phone number.")
    assert notice["status"] == "failed"  # attempts left, but the same number would fail again
    with db.SessionLocal() as s:
        assert (s.get(Callback, cb_id).status, s.get(Callback, cb_id).attempts) == ("failed", 1)


def test_a_busy_status_callback_shows_and_the_adviser_marks_the_caller_not_reached(app, clock):
    desk = desk_of(app, "ada")
    cb_id = _book()
    assert _dial(app) == [cb_id]
    assert desk.get("/api/desk").get_json()["current"]["status"] == "calling_back"
    clock.tick(30)  # the line rings, then Twilio reports
    # Twilio's final status callback of the outbound call: the line was busy.
    line = Phone(FlaskTransport(app.test_client()), TOKEN, caller="+441632960000", to="+447911123456",
                 account=ACCOUNT, direction="outbound-api")
    status, _ = line.post(f"/ivr/queue/callback-call/{cb_id}/status", line.params(CallStatus="busy"))
    assert status == 204
    state = desk.get("/api/desk").get_json()
    assert state["current"] is None
    assert state["failed_try"]["text"] == ("The call to the caller failed: the line was busy, or the "
                                           "caller declined the call.")
    marked = desk.send("POST", f"/api/callbacks/{cb_id}/not-reached").get_json()
    assert marked["failed_try"] is None
    with db.SessionLocal() as s:
        assert s.get(Callback, cb_id).status == "failed"  # no more tries; supervisors see it
        assert s.scalar(select(User.status).where(User.username == "ada")) == "available"
    assert desk.send("POST", f"/api/callbacks/{cb_id}/try-again").status_code == 404  # acted on: gone


def test_only_the_adviser_who_waited_can_act_and_ok_just_hides_it(app, twilio):
    desk = desk_of(app, "ada")
    other = desk_of(app, "bob")
    with db.SessionLocal.begin() as s:  # bob is busy elsewhere: ada is the one reserved
        s.scalar(select(User).where(User.username == "bob")).status = "break"
    cb_id = _book()
    twilio.code = 21215
    _dial(app)
    assert other.get("/api/desk").get_json()["failed_try"] is None
    assert other.send("POST", f"/api/callbacks/{cb_id}/not-reached").status_code == 404
    notice = desk.get("/api/desk").get_json()["failed_try"]
    assert notice["text"].endswith("calls to that country are not allowed on the Twilio account.")
    assert desk.send("POST", f"/api/callbacks/{cb_id}/failure-seen").get_json()["failed_try"] is None
    with db.SessionLocal() as s:
        assert s.get(Callback, cb_id).status == "pending"  # Jobline goes on as it would


def test_the_wallboard_counts_the_callback_calls_that_failed_today(app, twilio, signed_in):
    desk_of(app, "ada")
    _book()
    twilio.code = 21215
    _dial(app)
    board = signed_in("supervisor").get("/api/wallboard").get_json()
    general = next(q for q in board["queues"] if q["queue"] == "general")
    assert general["callback_tries_failed"] == 1
    assert all(q["callback_tries_failed"] == 0 for q in board["queues"] if q["queue"] != "general")
    page = signed_in("supervisor").get("/wallboard").get_data(as_text=True)
    assert "Callback calls failed today" in page
