"""The adviser's day through the desk API: see who waits and why, answer, note, close, repeat."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import AgentStatusChange, CallEvent, QueueEntry, User
from tests.support.desk import waiting_call
from tests.support.fake_twilio import FakeTwilio


@pytest.fixture
def fake() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
def app(make_app, tmp_path: Path, fake: FakeTwilio):
    """The app with Twilio's REST side answered by `fake` and recordings kept in tmp_path."""
    return make_app(TWILIO_HTTP_CLIENT=fake, RECORDINGS_DIR=str(tmp_path),
                    PUBLIC_BASE_URL="https://jobline.test")


def test_waiting_callers_come_with_their_summary_masked(app, signed_in, s):
    entry = waiting_call(s, waited_s=75)
    waiting_call(s, phone="+447700900777", queue="employers", name="Not for me")  # not my queue
    s.commit()
    desk = signed_in("agent")
    state = desk.get("/api/desk").get_json()
    assert [r["id"] for r in state["waiting"]] == [entry.id]
    row = state["waiting"][0]
    assert row["wait_s"] == 75 and row["queue"] == "benefits" and row["language"] == "en"
    assert row["name"]["text"] == "Maria Lopez"
    assert row["id_number"] == {"masked": "••••••74", "confirmed": True}
    assert row["caller"] == "+44•••••••123"
    assert row["reason"]["text"] == "my benefit payment has not arrived"
    assert row["intent"] == "benefit_payment"
    raw = desk.get("/api/desk").get_data(as_text=True)
    assert "12345674" not in raw and "+447700900123" not in raw


def test_summary_shows_the_menu_path_and_previous_contacts(app, signed_in, s, accounts):
    earlier = waiting_call(s, waited_s=86400 * 2, reason="where is my payment")
    earlier.status, earlier.disposition, earlier.notes = "ended", "claim_help", "Explained the delay."
    earlier.agent_id = accounts["agent"].id
    entry = waiting_call(s, waited_s=30)
    s.commit()
    summary = signed_in("agent").get(f"/api/entries/{entry.id}").get_json()
    assert [step["key"] for step in summary["path"]] == [None, "2", "0", None]
    assert summary["path"][-1]["label"] == "Queue: Benefits"
    assert len(summary["history"]) == 1
    assert summary["history"][0]["disposition"] == "claim_help"
    assert summary["history"][0]["adviser"] == "Test Agent"


def test_the_path_reads_as_words_from_the_flow_not_node_names(app, signed_in, s):
    entry = waiting_call(s, waited_s=30)
    at = entry.enqueued_at  # later on hold: the menu again, then a callback asked for
    entry.call.events.extend([CallEvent(kind="key", node="benefits", detail="repeat", at=at),
                              CallEvent(kind="key", node="benefits", detail="callback", at=at)])
    s.commit()
    path = signed_in("agent").get(f"/api/entries/{entry.id}").get_json()["path"]
    assert [(step["key"], step["label"]) for step in path] == [
        (None, "Main menu"), ("2", "For unemployment benefits"), ("0", "Asked for an adviser"),
        (None, "Queue: Benefits"), ("9", "Heard the menu again"), (None, "Asked to be called back")]


def test_full_id_only_for_the_adviser_on_the_call_or_a_supervisor(app, fake, signed_in, s):
    entry = waiting_call(s)
    s.commit()
    agent = signed_in("agent")
    refused = agent.send("POST", f"/api/entries/{entry.id}/reveal-id")
    assert refused.status_code == 403 and "once you are talking" in refused.get_json()["error"]
    agent.send("PUT", "/api/me/status", {"status": "available"})
    assert agent.send("POST", "/api/answer").status_code == 200
    assert agent.send("POST", f"/api/entries/{entry.id}/reveal-id").get_json()["id_number"] == "12345674"
    assert signed_in("supervisor").send("POST", f"/api/entries/{entry.id}/reveal-id").status_code == 200
    audits = s.scalars(select(CallEvent).where(CallEvent.kind == "id_revealed")).all()
    assert len(audits) == 2 and all("12345674" not in (a.detail or "") for a in audits)


def test_answer_note_dispose_and_back_to_available(app, fake, signed_in, s, accounts):
    later = waiting_call(s, phone="+447700900200", waited_s=10)
    first = waiting_call(s, phone="+447700900100", waited_s=50)
    s.commit()
    agent = signed_in("agent")
    assert agent.send("PUT", "/api/me/status", {"status": "available"}).get_json()["status"] == "available"

    state = agent.send("POST", "/api/answer").get_json()
    assert state["current"]["id"] == first.id  # the longest wait first
    assert [r["id"] for r in state["waiting"]] == [later.id]
    assert len(fake.requests) == 1 and fake.requests[0][0] == "POST"
    assert state["me"]["status"] == "busy"

    again = agent.send("POST", "/api/answer")
    assert again.status_code == 409 and "finish it" in again.get_json()["error"]

    saved = agent.send("PUT", f"/api/calls/{first.id}/notes", {"notes": "Asked about payment"})
    assert saved.status_code == 200
    bad = agent.send("POST", f"/api/calls/{first.id}/wrap-up", {"disposition": "made_up"})
    assert bad.status_code == 400 and "Choose a disposition" in bad.get_json()["error"]
    state = agent.send("POST", f"/api/calls/{first.id}/end").get_json()
    assert state["current"]["ended_at"] and state["me"]["status"] == "after_call"

    done = agent.send("POST", f"/api/calls/{first.id}/wrap-up", {"disposition": "resolved"}).get_json()
    assert done["current"] is None and done["me"]["status"] == "available"
    s.expire_all()
    stored = s.get(QueueEntry, first.id)
    assert (stored.disposition, stored.notes, stored.status) == ("resolved", "Asked about payment", "ended")
    statuses = s.scalars(select(AgentStatusChange.status).where(
        AgentStatusChange.user_id == accounts["agent"].id).order_by(AgentStatusChange.id)).all()
    assert statuses == ["available", "busy", "after_call", "available"]


def test_answering_a_caller_who_already_hung_up_takes_them_off_the_list(app, fake, signed_in, accounts, s):
    gone = waiting_call(s)
    s.commit()
    agent = signed_in("agent")
    agent.send("PUT", "/api/me/status", {"status": "available"})
    fake.call_ended = True
    response = agent.send("POST", "/api/answer")
    assert response.status_code == 409
    assert response.get_json()["error"] == ("That caller had already hung up; they are off the list. "
                                            "Answer the next caller.")
    s.expire_all()
    leg = s.get(QueueEntry, gone.id)
    assert (leg.status, leg.outcome, leg.agent_id) == ("left", "abandoned", None)
    assert s.scalar(select(User.status).where(User.id == accounts["agent"].id)) == "available"
    assert s.scalars(select(CallEvent.kind).where(CallEvent.call_id == leg.call_id)).all()[-1] == "queue_lost"
    fake.call_ended = False
    waiting = waiting_call(s)
    s.commit()
    state = agent.send("POST", "/api/answer").get_json()  # the next caller, not the same ghost again
    assert state["current"]["id"] == waiting.id


def test_transfer_moves_the_caller_and_leaves_after_call_work(app, fake, signed_in, s):
    entry = waiting_call(s)
    s.commit()
    agent = signed_in("agent")
    agent.send("PUT", "/api/me/status", {"status": "available"})
    agent.send("POST", "/api/answer")
    state = agent.send("POST", f"/api/calls/{entry.id}/transfer", {"queue": "employers"}).get_json()
    assert state["current"]["id"] == entry.id and state["current"]["ended_at"]
    new = s.scalar(select(QueueEntry).where(QueueEntry.transferred_from_id == entry.id))
    assert new.queue == "employers" and new.status == "waiting"
    bad = agent.send("POST", f"/api/calls/{entry.id}/transfer", {"queue": "nowhere"})
    assert bad.status_code == 400 and "Choose a queue" in bad.get_json()["error"]


def test_a_failed_connection_puts_the_caller_back_and_says_so(app, fake, signed_in, s):
    fake.fail = True
    entry = waiting_call(s)
    s.commit()
    agent = signed_in("agent")
    agent.send("PUT", "/api/me/status", {"status": "available"})
    response = agent.send("POST", "/api/answer")
    assert response.status_code == 502 and "back in the queue" in response.get_json()["error"]
    s.expire_all()
    assert s.get(QueueEntry, entry.id).status == "waiting"


def test_name_audio_streams_to_advisers_of_the_queue_only(app, tmp_path, signed_in, s):
    audio = tmp_path / "name.wav"
    audio.write_bytes(b"RIFF" + b"\0" * 40)
    entry = waiting_call(s, audio_path=str(audio))
    other = waiting_call(s, phone="+447700900888", queue="employers", audio_path=str(audio))
    s.commit()
    agent = signed_in("agent")
    rec_id = agent.get("/api/desk").get_json()["waiting"][0]["name"]["recording_id"]
    response = agent.get(f"/api/recordings/{rec_id}/audio")
    assert response.status_code == 200 and response.data.startswith(b"RIFF")
    assert response.headers["Cache-Control"] == "no-store"
    other_rec = other.call.recordings[0].id
    assert agent.get(f"/api/recordings/{other_rec}/audio").status_code == 403
    assert signed_in("supervisor").get(f"/api/recordings/{other_rec}/audio").status_code == 200
    assert entry.id


def test_api_errors_say_what_to_fix(app, signed_in):
    agent = signed_in("agent")
    response = agent.send("PUT", "/api/me/status", {"status": "sleeping"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "Choose a status from: available, break, after_call, offline.",
                                   "status": 400}
    missing = agent.get("/api/entries/999")
    assert missing.status_code == 404 and "refresh the desk" in missing.get_json()["error"]
    assert agent.get("/api/nothing-here").get_json()["status"] == 404


def test_supervisor_sees_every_queue(app, signed_in, s):
    waiting_call(s, queue="employers")
    waiting_call(s, phone="+447700900555", queue="general")
    s.commit()
    state = signed_in("supervisor").get("/api/desk").get_json()
    assert sorted(r["queue"] for r in state["waiting"]) == ["employers", "general"]
    assert User  # the admin has no desk: see test_access_rules


def test_browser_phone_token_for_advisers_without_a_phone(make_app, s):
    from callcenter.accounts.users import create_user
    from tests.support.desk import PASSWORD, csrf_from, sign_in

    app = make_app(TWILIO_API_KEY="SK" + "2" * 32, TWILIO_API_SECRET="secret",
                   TWILIO_TWIML_APP_SID="AP" + "3" * 32)
    create_user(s, "web.adviser", "Web Adviser", "agent", PASSWORD, queues=["general"])
    s.commit()
    client = app.test_client()
    sign_in(client, "web.adviser")
    page = client.get("/desk").get_data(as_text=True)
    assert "vendor/twilio-voice-sdk-2.18.5.min.js" in page and "phone.js" in page
    body = client.get("/api/voice-token").get_json()
    assert body["identity"].startswith("agent-") and body["token"].count(".") == 2
    assert csrf_from(client, "/desk")


def test_browser_phone_not_set_up_says_so_in_plain_words(app, signed_in):
    """Advisers read a sentence they can act on; the setting's name is the admin's (Users page)."""
    response = signed_in("agent").get("/api/voice-token")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error == "The browser phone is not set up yet. Tell an administrator."
    assert "TWILIO" not in error
    assert "twilio-voice-sdk" not in signed_in("agent").get("/desk").get_data(as_text=True)


def test_callbacks_of_my_queues_come_with_the_same_summary(app, signed_in, s):
    from db.models import Callback

    entry = waiting_call(s, waited_s=200)
    entry.status, entry.outcome = "left", "callback"
    s.add(Callback(call_id=entry.call_id, queue_entry_id=entry.id, queue="benefits",
                   phone="+447700900123", enqueued_at=entry.enqueued_at))
    s.commit()
    agent = signed_in("agent")
    state = agent.get("/api/desk").get_json()
    assert state["waiting"] == []
    [callback] = state["callbacks"]
    assert callback["phone"] == "+44•••••••123" and callback["name"]["text"] == "Maria Lopez"
    assert callback["id_number"]["masked"] == "••••••74" and callback["entry_id"] == entry.id
    assert agent.get(f"/api/entries/{entry.id}").get_json()["path"]


def test_a_supervisor_without_that_queue_is_told_why_they_cannot_answer(app, signed_in, s):
    entry = waiting_call(s, queue="employers")
    s.commit()
    response = signed_in("supervisor").send("POST", "/api/answer", {"entry_id": entry.id})
    assert response.status_code == 409 and "serves no queue" in response.get_json()["error"]
