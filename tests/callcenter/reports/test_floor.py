"""Issue 16: the supervisors' live floor (/floor, /api/floor): who may see it, what a supervisor
sees (every adviser and every waiting caller, numbers masked), and the queue and language filters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callcenter.accounts.users import create_user
from db import session as db
from db.models import Callback, User
from tests.support.desk import PASSWORD, waiting_call
from tests.support.env import OPEN_TIME

MINUTE = timedelta(minutes=1)


@pytest.fixture
def busy_floor(accounts) -> dict[str, int]:
    """Two callers in Benefits (English, then Spanish), one in General being put through to the
    adviser, a kept callback in Benefits between them; a Spanish-only adviser on a break."""
    with db.SessionLocal() as s:
        first = waiting_call(s, phone="+447700900111", queue="benefits", waited_s=300)
        spanish = waiting_call(s, phone="+447700900222", queue="benefits", language="es", waited_s=60)
        ringing = waiting_call(s, phone="+447700900333", queue="general", waited_s=90)
        s.flush()
        ringing.status, ringing.agent_id = "connecting", accounts["agent"].id
        s.get(User, accounts["agent"].id).status = "busy"
        s.get(User, accounts["agent"].id).status_since = OPEN_TIME - 2 * MINUTE
        gone = waiting_call(s, phone="+447700900444", queue="benefits", waited_s=200)
        gone.status, gone.outcome, gone.left_at = "left", "callback", OPEN_TIME - MINUTE
        s.add(Callback(call_id=gone.call_id, queue_entry_id=gone.id, queue="benefits", phone="+447700900444",
                       status="pending", enqueued_at=gone.enqueued_at, language="en"))
        rosa, _ = create_user(s, "rosa", "Rosa Diaz", "agent", PASSWORD, queues=["benefits"],
                              languages=["es"])
        rosa.status, rosa.status_since = "break", OPEN_TIME - 5 * MINUTE
        s.commit()
        return {"first": first.id, "spanish": spanish.id, "ringing": ringing.id, "rosa": rosa.id}


def test_an_adviser_is_refused_the_floor_and_its_api(signed_in, busy_floor):
    agent = signed_in("agent")
    api = agent.get("/api/floor")
    assert api.status_code == 403
    assert "supervisor" in api.get_json()["error"]
    assert agent.get("/floor").status_code == 403
    assert b"Floor" not in agent.get("/desk").data.split(b"<main")[0]  # no link in the top bar


def test_a_supervisor_sees_every_adviser_and_caller_with_numbers_masked(signed_in, busy_floor, accounts):
    supervisor = signed_in("supervisor")
    floor = supervisor.get("/api/floor").get_json()

    line = [(r["kind"], r["queue"], r["position"], r["status"]) for r in floor["waiting"]]
    # Benefits' line as the hold loop counts it: the callback keeps its place between the two callers.
    assert line == [("call", "general", None, "ringing_adviser"), ("call", "benefits", 1, "waiting"),
                    ("callback", "benefits", 2, "callback_pending"), ("call", "benefits", 3, "waiting")]
    assert [r["wait_s"] for r in floor["waiting"]] == [90, 300, 200, 60]
    assert {r["caller"] for r in floor["waiting"]} == {"+44•••••••111", "+44•••••••444", "+44•••••••222",
                                                       "+44•••••••333"}
    assert "7700900" not in supervisor.get("/api/floor").get_data(as_text=True)
    assert "7700900" not in supervisor.get("/floor").get_data(as_text=True)

    by_name = {a["name"]: a for a in floor["advisers"]}
    agent = by_name["Test Agent"]
    assert (agent["status"], agent["in_state_s"]) == ("busy", 120)
    assert agent["current"] | {"since": None} == {"queue": "general", "queue_label": "General enquiries",
                                                  "phase": "ringing", "since": None, "seconds": 90}
    assert (by_name["Rosa Diaz"]["status_label"], by_name["Rosa Diaz"]["in_state_s"]) == ("On break", 300)
    assert floor["counts"] == {"waiting": 3, "callbacks": 1, "busy": 1, "after_call": 0, "available": 0,
                               "break": 1, "offline": 1}


def test_the_page_is_drawn_on_the_server_for_browsers_without_script(signed_in, busy_floor):
    page = signed_in("supervisor").get("/floor").get_data(as_text=True)
    assert f'data-kind="call" data-id="{busy_floor["first"]}"' in page
    assert "Rosa Diaz" in page and "On break" in page
    assert "Adviser&#39;s phone ringing" in page or "Adviser's phone ringing" in page
    assert '<th scope="col">Waiting for</th>' in page


def test_filters_by_queue_and_language(signed_in, busy_floor):
    supervisor = signed_in("supervisor")
    spanish = supervisor.get("/api/floor?queue=benefits&language=es").get_json()
    assert [r["id"] for r in spanish["waiting"]] == [busy_floor["spanish"]]
    assert spanish["waiting"][0]["position"] == 3  # the place in the whole queue, not in the filter
    # Who serves Benefits in Spanish: working first (a supervisor without queues serves them all).
    assert [a["name"] for a in spanish["advisers"]] == ["Test Agent", "Rosa Diaz", "Test Supervisor"]
    english = supervisor.get("/api/floor?language=en").get_json()
    assert "Rosa Diaz" not in [a["name"] for a in english["advisers"]]
    assert busy_floor["spanish"] not in [r["id"] for r in english["waiting"]]
    general = supervisor.get("/api/floor?queue=general&language=").get_json()
    assert [r["id"] for r in general["waiting"]] == [busy_floor["ringing"]]
    assert "Rosa Diaz" not in [a["name"] for a in general["advisers"]]
    assert general["filters"] == {"queue": "general", "language": None}
    page = supervisor.get("/floor?queue=general").get_data(as_text=True)
    assert '<option value="general" selected>' in page


def test_a_queue_that_does_not_exist_is_refused_with_a_sentence(signed_in, busy_floor):
    supervisor = signed_in("supervisor")
    api = supervisor.get("/api/floor?queue=benfits")
    assert api.status_code == 400
    assert api.get_json()["error"].startswith("There is no queue called 'benfits': choose one of ")
    page = supervisor.get("/floor?queue=benfits")
    assert page.status_code == 400
    assert "There is no queue called" in page.get_data(as_text=True)
    assert f'data-id="{busy_floor["first"]}"' in page.get_data(as_text=True)  # the whole floor meanwhile


def test_admins_see_the_floor_and_its_link(signed_in, busy_floor):
    admin = signed_in("admin")
    assert admin.get("/api/floor").status_code == 200
    assert 'href="/floor"' in admin.get("/floor").get_data(as_text=True)
