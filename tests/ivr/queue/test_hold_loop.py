"""The hold loop as a caller lives it: cacheable hold music, place and wait said when they change,
and a database that fails under a caller on hold (or under the adviser's whisper) without
anyone hearing an apology."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from db import session as db
from ivr.queue.hold import QUIET_LOOPS
from tests.support.prism import form_of
from tests.support.queue import put_through

HOLD_URL = "/ivr/queue/static/hold.wav"
NEXT = ["You are next in line.", "The expected wait is about 5 minutes."]


def to_queue(caller, number: str):
    """English, then 0 on the main menu: the general queue."""
    return caller(number).dial().press("1").press("0")


def said(reply: str) -> list[str]:
    return [(say.text or "").strip() for say in ET.fromstring(reply).iter("Say")]


def place_said(reply: str) -> list[str]:
    """The sentences of a hold document about the caller's place and wait."""
    return [t for t in said(reply) if t.startswith(("You are", "The expected wait"))]


@contextmanager
def table_gone(name: str) -> Iterator[None]:
    """The table disappears for real (renamed away), then comes back."""
    with db.engine().begin() as conn:
        conn.execute(text(f"ALTER TABLE {name} RENAME TO {name}_away"))
    try:
        yield
    finally:
        with db.engine().begin() as conn:
            conn.execute(text(f"ALTER TABLE {name}_away RENAME TO {name}"))


def test_hold_music_is_cacheable_and_a_conditional_get_gets_304(qapp):
    web = qapp.test_client()
    first = web.get(HOLD_URL)
    assert first.status_code == 200 and first.mimetype.startswith("audio/")
    assert first.cache_control.max_age and first.cache_control.max_age >= 3600
    assert not first.cache_control.no_cache and not first.cache_control.no_store
    etag, modified = first.headers.get("ETag"), first.headers.get("Last-Modified")
    assert etag and modified
    again = web.get(HOLD_URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert web.get(HOLD_URL, headers={"If-Modified-Since": modified}).status_code == 304


def test_an_unchanged_place_is_not_said_again_on_the_next_loop(caller, adviser):
    adviser()
    p = to_queue(caller, "+447700900111")
    assert place_said(p.replies[-1]) == NEXT
    p.silence()  # the music ends: Twilio follows the wait document to the next loop
    loop = ET.fromstring(p.replies[-1])
    assert place_said(p.replies[-1]) == []
    assert said(p.replies[-1]) == ["To be called back instead, keeping your place in line, press 1."]
    assert [el.text for el in loop.iter("Play")] == [HOLD_URL]
    p.press("1")  # the callback offer still works on a quiet loop
    assert p.last_heard.startswith("We will call you back on the number ending in 0 1 1 1.")


def test_place_and_wait_are_said_again_when_they_change_and_after_quiet_loops(caller, adviser, clock):
    adviser()
    first = to_queue(caller, "+447700900111")
    clock.tick(20)
    second = to_queue(caller, "+447700900222")
    assert place_said(second.replies[-1])[0] == "You are number 2 in line."
    second.silence()
    assert place_said(second.replies[-1]) == []
    first.hangup()  # the caller ahead leaves: the second moves up and is told so
    second.silence()
    assert place_said(second.replies[-1]) == NEXT
    quiet = []
    for _ in range(QUIET_LOOPS + 1):
        second.silence()
        quiet.append(place_said(second.replies[-1]))
    assert quiet == [[]] * QUIET_LOOPS + [NEXT]


def test_a_database_error_on_hold_keeps_the_caller_on_hold(caller, adviser, s):
    adviser()
    p = to_queue(caller, "+447700900333")
    with table_gone("queue_entries"):
        p.silence()
    assert said(p.replies[-1]) == []  # no apology, no "press 0"
    assert [el.text for el in ET.fromstring(p.replies[-1]).iter("Play")] == [HOLD_URL]
    assert p.queue is not None and not p.ended
    p.hold()
    with table_gone("call_events"):  # pressing 1 for a callback, with the database failing
        p.press("1")
    assert said(p.replies[-1]) == [] and p.queue is not None and not p.ended
    p.hold()  # the database is back: the loop goes on where it was
    assert place_said(p.replies[-1]) == NEXT
    p.press("7")  # a wrong key: back on hold, the place not said again
    assert place_said(p.replies[-1]) == [] and p.queue is not None


def test_a_dropped_database_connection_on_hold_keeps_the_caller_on_hold(caller, adviser):
    if db.engine().dialect.name != "postgresql":
        pytest.skip("server-side connections to terminate exist on PostgreSQL only")
    adviser()
    p = to_queue(caller, "+447700900334")
    with db.engine().connect() as conn:  # a database restart, as the pools see it
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    p.silence()
    assert "Sorry, something went wrong on our side." not in said(p.replies[-1])
    assert [el.text for el in ET.fromstring(p.replies[-1]).iter("Play")] == [HOLD_URL]
    assert p.queue is not None and not p.ended


def test_a_database_error_in_the_whisper_is_not_heard_by_the_adviser(qapp, caller, adviser, clock,
                                                                     twilio_http, s):
    agent_id = adviser(phone="+447700900901")
    p = to_queue(caller, "+447700900555")
    put_through(qapp, agent_id, clock())
    [update] = twilio_http.calls_updated()
    p.redirect(form_of(update, "Url"))
    with table_gone("queue_entries"):
        heard_by_adviser = p.adviser_answers()
    assert heard_by_adviser == []  # an empty whisper: the call is bridged, no apology


ABSURD = ["²", "٣", str(10**30), "-5", "1e9", "4 2"]


@pytest.mark.parametrize("value", ABSURD)
def test_absurd_signed_numbers_get_a_2xx_and_store_nothing_absurd(caller, adviser, value, s):
    adviser()
    menus = caller("+447700900441").dial().press("1")  # a call that only used the menus
    assert menus.post("/ivr/status", menus.params(CallStatus="completed", CallDuration=value))[0] == 204
    p = to_queue(caller, "+447700900442")
    status, body = p.post(p.queue.get("waitUrl"), p.params(QueuePosition=value, QueueTime=value,
                                                           CurrentQueueSize=value, AvgQueueTime=value))
    assert status == 200 and [el.tag for el in ET.fromstring(body)] == ["Gather", "Redirect"]
    status, _ = p.post(p.pending.get("action"), p.params(Digits=value))  # the hold loop's key
    assert status == 200
    recording = {"RecordingSid": "RE" + "1" * 32, "RecordingStatus": "completed", "RecordingDuration": value,
                 "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{p.account}/Recordings/RE1"}
    assert p.post("/ivr/recording?kind=voicemail", p.params(**recording))[0] == 204
    assert p.post("/ivr/voicemail", p.params(**recording))[0] == 200
    left = p.queue.get("action")
    assert p.post(left, p.params(QueueResult="hangup", QueueSid="QU" + "0" * 32, QueueTime=value))[0] == 200
    assert p.post("/ivr/status", p.params(CallStatus="completed", CallDuration=value))[0] == 204
    s.expire_all()
    durations = s.execute(text("SELECT duration_s FROM calls")).scalars().all()
    assert all(d is None or 0 <= d < 86_400 for d in durations)
    assert s.execute(text("SELECT duration_s FROM recordings")).scalars().all() in ([], [None])
