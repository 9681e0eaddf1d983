"""A transfer tells the next adviser who sent the caller, from where, and why: the note the first
adviser wrote shows in the caller's path, in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import QueueEntry
from tests.support.desk import waiting_call
from tests.support.fake_twilio import FakeTwilio

NOTE = "Needs the employer's side of the contract; already checked her ID."


@pytest.fixture
def fake() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
def app(make_app, tmp_path: Path, fake: FakeTwilio):
    return make_app(TWILIO_HTTP_CLIENT=fake, RECORDINGS_DIR=str(tmp_path),
                    PUBLIC_BASE_URL="https://jobline.test")


def _on_the_line(signed_in, s, **caller):
    entry = waiting_call(s, **caller)
    s.commit()
    agent = signed_in("agent")
    agent.send("PUT", "/api/me/status", {"status": "available"})
    assert agent.send("POST", "/api/answer").status_code == 200
    return agent, entry


def test_the_next_adviser_reads_who_transferred_from_where_and_the_note(app, fake, signed_in, s):
    agent, entry = _on_the_line(signed_in, s)
    moved = agent.send("POST", f"/api/calls/{entry.id}/transfer",
                       {"queue": "employers", "note": f"  {NOTE} "})
    assert moved.status_code == 200
    new = s.scalar(select(QueueEntry).where(QueueEntry.transferred_from_id == entry.id))
    assert (new.queue, new.status, new.transfer_note) == ("employers", "waiting", NOTE)

    # A supervisor (who serves every queue) opens the caller now waiting in Employers.
    path = signed_in("supervisor").get(f"/api/entries/{new.id}").get_json()["path"]
    assert [step["label"] for step in path] == [
        "Main menu", "For unemployment benefits", "Asked for an adviser", "Queue: Benefits",
        "Transferred by Test Agent from Benefits"]
    assert path[-1] == {"key": None, "kind": "transfer", "label": "Transferred by Test Agent from Benefits",
                        "to": "Employers", "by": "Test Agent", "note": NOTE}
    # The leg the adviser transferred from tells its own story: no transfer yet.
    assert all(step.get("kind") != "transfer"
               for step in agent.get(f"/api/entries/{entry.id}").get_json()["path"])


def test_a_transfer_without_a_note_says_who_and_from_where(app, fake, signed_in, s):
    agent, entry = _on_the_line(signed_in, s, name=None)
    assert agent.send("POST", f"/api/calls/{entry.id}/transfer", {"queue": "general"}).status_code == 200
    new = s.scalar(select(QueueEntry).where(QueueEntry.transferred_from_id == entry.id))
    summary = agent.get(f"/api/entries/{new.id}").get_json()  # general is one of agent1's queues
    assert summary["path"][-1]["label"] == "Transferred by Test Agent from Benefits"
    assert summary["path"][-1]["note"] is None
    assert summary["name"] is None and summary["transferred"] is True


def test_a_note_too_long_is_refused_and_the_caller_stays(app, fake, signed_in, s):
    agent, entry = _on_the_line(signed_in, s)
    refused = agent.send("POST", f"/api/calls/{entry.id}/transfer", {"queue": "general", "note": "x" * 501})
    assert refused.status_code == 400 and "at most 500 characters" in refused.get_json()["error"]
    assert s.scalar(select(QueueEntry).where(QueueEntry.transferred_from_id == entry.id)) is None
    assert agent.get("/api/desk").get_json()["current"]["id"] == entry.id
