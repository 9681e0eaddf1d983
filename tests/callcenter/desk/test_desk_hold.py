"""Hold, resume, mute and unmute from the desk, through Twilio's Participants API (Prism, Twilio's
own spec, validates every request): what Twilio is asked, what the adviser reads back, and the
caller's path showing who held them and for how long."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import QueueEntry
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import ACCOUNT, OPEN_TIME, TOKEN
from tests.support.fake_twilio import FakeTwilio
from tests.support.prism import Clock, form_of
from tests.support.queue import desk_of
from tests.support.room import PUBLIC, ROOM, participant_requests, room_reports, talking


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN_TIME)


@pytest.fixture
def qapp(make_app, twilio_http, clock):
    return make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL=PUBLIC, CLOCK=clock)


def participant_updates(twilio_http):
    return [(path, form) for path, form in participant_requests(twilio_http) if "/Participants/" in path]


def test_the_adviser_holds_and_resumes_the_caller_who_hears_the_hold_music(qapp, twilio_http, clock, s):
    desk, entry = talking(qapp, s)
    held = desk.send("POST", f"/api/calls/{entry.id}/hold")
    assert held.status_code == 200, held.get_data(as_text=True)
    assert held.get_json() == {"id": entry.id, "room": True, "on_hold": True, "muted": False, "hold_s": 0,
                               "consults": 0, "consulting": None}
    assert desk.get("/api/desk").get_json()["current"]["conversation"] == held.get_json()
    [(path, form)] = participant_updates(twilio_http)
    assert path.endswith(f"/Conferences/{ROOM}/Participants/caller.json")
    assert (form_of(form, "Hold"), form_of(form, "HoldMethod")) == ("true", "GET")
    assert form_of(form, "HoldUrl") == f"{PUBLIC}/ivr/queue/static/hold.wav"
    assert qapp.test_client().get("/ivr/queue/static/hold.wav").headers["Cache-Control"].startswith("public")

    clock.tick(42)
    resumed = desk.send("POST", f"/api/calls/{entry.id}/resume")
    assert resumed.get_json()["on_hold"] is False and resumed.get_json()["hold_s"] == 42
    assert form_of(participant_updates(twilio_http)[-1][1], "Hold") == "false"
    assert twilio_http.problems == []

    path = desk.get(f"/api/entries/{entry.id}").get_json()["path"]
    assert path[-1] == {"key": None, "kind": "hold", "label": "Put on hold by Ada Lovell", "by": "Ada Lovell",
                        "seconds": 42}


def test_the_adviser_mutes_and_unmutes_themselves(qapp, twilio_http, s):
    desk, entry = talking(qapp, s)
    muted = desk.send("POST", f"/api/calls/{entry.id}/mute")
    assert muted.get_json()["muted"] is True and muted.get_json()["on_hold"] is False
    path, form = participant_updates(twilio_http)[-1]
    assert path.endswith("/Participants/adviser.json") and form_of(form, "Muted") == "true"
    assert desk.send("POST", f"/api/calls/{entry.id}/unmute").get_json()["muted"] is False
    assert form_of(participant_updates(twilio_http)[-1][1], "Muted") == "false"
    assert twilio_http.problems == []


def test_holding_twice_or_resuming_a_caller_not_held_says_why(qapp, twilio_http, s):
    desk, entry = talking(qapp, s)
    not_held = desk.send("POST", f"/api/calls/{entry.id}/resume")
    assert not_held.status_code == 409 and not_held.get_json()["error"] == "The caller is not on hold."
    assert desk.send("POST", f"/api/calls/{entry.id}/hold").status_code == 200
    again = desk.send("POST", f"/api/calls/{entry.id}/hold")
    assert again.status_code == 409 and again.get_json()["error"] == "The caller is already on hold."
    assert len(participant_updates(twilio_http)) == 1  # Twilio was asked once


def test_a_call_whose_room_twilio_never_reported_cannot_be_held(qapp, twilio_http, s):
    desk, entry = talking(qapp, s, room=False)
    refused = desk.send("POST", f"/api/calls/{entry.id}/hold")
    assert refused.status_code == 409 and "not in a conference room" in refused.get_json()["error"]
    assert participant_updates(twilio_http) == []


def test_someone_elses_call_or_one_not_yet_taken_cannot_be_held(qapp, twilio_http, s):
    desk = desk_of(qapp, "ada")
    p = Phone(FlaskTransport(qapp.test_client(), base_url=PUBLIC), TOKEN, caller="+447700900802",
              account=ACCOUNT)
    p.dial().press("1").press("0")
    entry = s.scalar(select(QueueEntry))
    assert desk.send("POST", f"/api/calls/{entry.id}/hold").status_code == 404  # still waiting, not hers
    assert desk.send("POST", "/api/answer").status_code == 200  # ringing her: not talking yet
    ringing = desk.send("POST", f"/api/calls/{entry.id}/hold")
    assert ringing.status_code == 409 and "not talking with you" in ringing.get_json()["error"]


def test_twilio_refusing_leaves_the_call_as_it_was(make_app, clock, s):
    fake = FakeTwilio()
    app = make_app(TWILIO_HTTP_CLIENT=fake, PUBLIC_BASE_URL=PUBLIC, CLOCK=clock)
    desk, entry = talking(app, s)
    fake.fail = True
    refused = desk.send("POST", f"/api/calls/{entry.id}/hold")
    assert refused.status_code == 502 and "the call is as it was" in refused.get_json()["error"]
    fake.fail = False
    assert desk.send("POST", f"/api/calls/{entry.id}/resume").status_code == 409  # never held


def test_a_room_report_with_no_conference_sid_is_ignored_and_an_unsigned_one_refused(qapp, s):
    desk, entry = talking(qapp, s, room=False)
    assert room_reports(qapp, entry.id, sid="not-a-sid") == 200
    assert desk.send("POST", f"/api/calls/{entry.id}/hold").status_code == 409
    unsigned = qapp.test_client().post(f"/ivr/queue/room/{entry.id}", data={"ConferenceSid": ROOM},
                                       base_url=PUBLIC)
    assert unsigned.status_code == 403
