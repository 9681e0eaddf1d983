"""Consult and warm transfer to a line of the flow's directory (config/ivr.yaml `directory`, no
free dialling), through Twilio's Participants API (Prism validates every request): the caller is
held while the adviser talks to the line, then handed on or taken back; the path says who did it."""

from __future__ import annotations

import pytest

from db.models import QueueEntry
from tests.support.env import OPEN_TIME
from tests.support.prism import Clock, form_of
from tests.support.room import PUBLIC, ROOM, participant_requests, talking

HOUSING = "+442079460018"  # config/ivr.yaml directory: housing


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN_TIME)


@pytest.fixture
def qapp(make_app, twilio_http, clock):
    return make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL=PUBLIC, CLOCK=clock,
                    TWILIO_CALLER_ID="+442079460999")


def test_a_consulted_line_is_rung_into_the_call_while_the_caller_holds_then_the_caller_is_handed_on(
        qapp, twilio_http, clock, s):
    desk, entry = talking(qapp, s)
    asked = desk.send("POST", f"/api/calls/{entry.id}/consult", {"directory": "housing"})
    assert asked.status_code == 200, asked.get_data(as_text=True)
    assert asked.get_json() | {"id": 0} == {"id": 0, "room": True, "on_hold": True, "muted": False,
                                            "hold_s": 0, "consults": 1, "consulting": "housing"}
    hold, create = participant_requests(twilio_http)
    assert hold[0].endswith("/Participants/caller.json") and form_of(hold[1], "Hold") == "true"
    assert create[0].endswith(f"/Conferences/{ROOM}/Participants.json")
    assert (form_of(create[1], "To"), form_of(create[1], "From")) == (HOUSING, "+442079460999")
    assert form_of(create[1], "Label") == "consulted"

    clock.tick(30)
    handed = desk.send("POST", f"/api/calls/{entry.id}/consult/transfer")
    assert handed.status_code == 200, handed.get_data(as_text=True)
    assert handed.get_json()["me"]["status"] == "after_call"
    # The line will end the call when it hangs up, the caller comes off hold, the adviser leaves
    # without ending the room.
    later = [(path.rsplit("/", 1)[-1], form) for path, form in participant_requests(twilio_http)[2:]]
    changes = [(name, form_of(form, "EndConferenceOnExit") or form_of(form, "Hold")) for name, form in later]
    assert changes == [("consulted.json", "true"), ("caller.json", "false"), ("adviser.json", "false")]
    [(removed, _)] = participant_requests(twilio_http, "DELETE")
    assert removed.endswith(f"/Conferences/{ROOM}/Participants/adviser.json")
    assert twilio_http.problems == []
    s.expire_all()
    leg = s.get(QueueEntry, entry.id)
    assert (leg.status, leg.outcome) == ("ended", "transferred")

    path = desk.get(f"/api/entries/{entry.id}").get_json()["path"]
    assert [step["label"] for step in path[-3:]] == [
        "Put on hold by Ada Lovell", "Ada Lovell consulted Housing benefit office",
        "Transferred by Ada Lovell to Housing benefit office"]
    assert path[-3]["seconds"] == 30


def test_return_takes_the_caller_back_from_a_line_that_did_not_help(qapp, twilio_http, s):
    desk, entry = talking(qapp, s)
    assert desk.send("POST", f"/api/calls/{entry.id}/consult", {"directory": "skills"}).status_code == 200
    back = desk.send("POST", f"/api/calls/{entry.id}/consult/return")
    assert back.status_code == 200, back.get_data(as_text=True)
    assert back.get_json()["on_hold"] is False and back.get_json()["consulting"] is None
    [(removed, _)] = participant_requests(twilio_http, "DELETE")
    assert removed.endswith("/Participants/consulted.json")
    assert twilio_http.problems == []
    assert desk.get("/api/desk").get_json()["current"]["id"] == entry.id  # still her call


def test_only_directory_lines_can_be_rung_and_each_refusal_says_what_to_do(qapp, twilio_http, s):
    desk, entry = talking(qapp, s)
    free = desk.send("POST", f"/api/calls/{entry.id}/consult", {"directory": "+447700900555"})
    assert free.status_code == 400
    assert free.get_json()["error"] == ("Choose a line from the directory: housing (Housing benefit office), "
                                        "skills (Adult skills and training line).")
    nothing = desk.send("POST", f"/api/calls/{entry.id}/consult/transfer")
    assert nothing.status_code == 409 and "consult someone first" in nothing.get_json()["error"]
    assert participant_requests(twilio_http) == []


def test_without_a_caller_id_outside_lines_cannot_be_rung(make_app, twilio_http, clock, s):
    app = make_app(TWILIO_HTTP_CLIENT=twilio_http, PUBLIC_BASE_URL=PUBLIC, CLOCK=clock, TWILIO_CALLER_ID="")
    desk, entry = talking(app, s)
    refused = desk.send("POST", f"/api/calls/{entry.id}/consult", {"directory": "housing"})
    assert refused.status_code == 503 and "tell an administrator" in refused.get_json()["error"]
    assert participant_requests(twilio_http) == []
