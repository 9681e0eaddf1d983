"""The adviser's leg of a <Dial>, as Twilio runs it: picking up is not taking the call.

The whisper (the <Number>/<Client> url) is a <Gather> on the adviser's leg: 1 puts the caller
through; a voicemail greeting presses nothing, the Gather times out, the leg hangs up, and the
caller goes back in line with their place kept, the adviser's miss recorded. The <Dial action>
decides by DialCallStatus. Waits are measured on our clock across re-queues, not by QueueTime,
which Twilio restarts at each <Enqueue>. Same for the adviser's leg of a callback.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Call, Callback, CallEvent, User
from tests.support.prism import form_of
from tests.support.queue import (
    ask_callback,
    callee,
    created_calls,
    dial,
    legs_of,
    outcome,
    put_through,
    to_queue,
)

MISSED = "Sorry, the adviser could not take your call. You keep your place in line."
WHISPER = "Jobline call from the General enquiries queue. Press 1 to take it."


def ringing_adviser(qapp, caller, adviser, clock, twilio_http, number: str, wait_s: int = 0):
    """A caller waits `wait_s` seconds, an adviser with a phone answers on the desk: the caller's
    call is redirected to a <Dial> of the adviser's phone."""
    agent_id = adviser(phone="+447700900901")
    p = to_queue(caller, number)
    clock.tick(wait_s)
    put_through(qapp, agent_id, clock())
    p.redirect(form_of(twilio_http.calls_updated()[-1], "Url"))
    assert p.pending.tag == "Dial"
    return p, agent_id


def missed_events(s, p) -> list[str | None]:
    s.expire_all()
    call = s.scalar(select(Call).where(Call.sid == p.sid))
    return list(s.scalars(select(CallEvent.detail).where(CallEvent.call_id == call.id,
                                                         CallEvent.kind == "adviser_missed")))


def test_an_advisers_voicemail_picking_up_is_a_miss_and_the_caller_keeps_their_place(
        qapp, caller, adviser, clock, twilio_http, s):
    p, agent_id = ringing_adviser(qapp, caller, adviser, clock, twilio_http, "+447700900801")
    heard_by_voicemail = p.adviser_answers(key=None)  # the greeting plays; nobody presses 1
    assert heard_by_voicemail == [WHISPER]
    assert MISSED in p.heard_since(-4)
    assert p.queue is not None and p.dialing is None  # back on hold, not talking to a machine
    [leg] = legs_of(s, p)
    assert (leg.status, leg.agent_id, leg.answered_at, leg.outcome) == ("waiting", None, None, None)
    assert s.get(User, agent_id).status == "available"
    assert missed_events(s, p) == ["not_accepted"]
    clock.tick(30)
    p.hangup()
    assert outcome(s, p) == "abandoned"  # never "answered" by a voicemail


def test_the_adviser_who_presses_1_is_put_through_and_the_conversation_counts(
        qapp, caller, adviser, clock, twilio_http, s):
    p, agent_id = ringing_adviser(qapp, caller, adviser, clock, twilio_http, "+447700900802")
    assert legs_of(s, p)[0].status == "connecting"  # picking up alone changes nothing
    assert p.adviser_answers(key="1") == [WHISPER]
    assert p.bridged and legs_of(s, p)[0].status == "connected"
    clock.tick(120)
    p.adviser_hangs_up()
    assert p.ended and p.last_heard.startswith("Thank you for calling")
    [leg] = legs_of(s, p)
    assert (leg.status, leg.outcome) == ("ended", "answered")
    assert s.get(User, agent_id).status == "after_call"


def test_another_key_in_the_whisper_declines_and_the_caller_goes_back_in_line(
        qapp, caller, adviser, clock, twilio_http, s):
    p, _ = ringing_adviser(qapp, caller, adviser, clock, twilio_http, "+447700900803")
    p.adviser_answers(key="2")
    assert MISSED in p.heard_since(-4) and p.queue is not None
    assert legs_of(s, p)[0].status == "waiting"


@pytest.mark.parametrize("dial_status", ["busy", "no-answer", "failed"])
def test_a_dial_twilio_reports_unanswered_puts_the_caller_back_in_line(
        qapp, caller, adviser, clock, twilio_http, s, dial_status):
    p, agent_id = ringing_adviser(qapp, caller, adviser, clock, twilio_http, "+447700900804")
    p.adviser_answers(key="1")  # the whisper ran, yet Twilio says the dial never completed
    p.adviser_does_not_answer(dial_status)
    assert MISSED in p.heard_since(-4)
    assert p.queue is not None and not p.ended
    [leg] = legs_of(s, p)
    assert (leg.status, leg.agent_id, leg.outcome) == ("waiting", None, None)
    assert s.get(User, agent_id).status == "available"
    assert missed_events(s, p) == [dial_status]


def test_a_caller_back_in_line_after_a_miss_has_waited_since_they_first_joined(
        qapp, caller, adviser, clock, twilio_http, s):
    p, _ = ringing_adviser(qapp, caller, adviser, clock, twilio_http, "+447700900805", wait_s=60)
    p.adviser_does_not_answer("no-answer")
    assert p.queue is not None and p.queue_time == 0  # Twilio's QueueTime restarts here
    clock.tick(2)
    p.queue_time = 2
    p.hangup()
    [leg] = legs_of(s, p)
    assert (leg.status, leg.outcome) == ("left", "abandoned")  # 62 s since joining, not 2
    assert outcome(s, p) == "abandoned"


def test_a_callbacks_adviser_voicemail_is_a_failed_attempt_not_a_completed_callback(
        qapp, caller, adviser, clock, twilio_http, s):
    agent_id = adviser(phone="+447700900901")
    ask_callback(caller, "+447700900806")
    [cb_id] = dial(qapp, clock)
    p = callee(qapp, form_of(created_calls(twilio_http)[0], "Url"))
    p.press("1")
    [number] = list(p.pending)
    assert number.get("url") == f"/ivr/queue/callback-call/{cb_id}/whisper"
    assert p.adviser_answers(key=None) == [WHISPER]  # the adviser's voicemail took it
    assert p.last_heard == "We will try to call you again later. Goodbye."
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.completed_at, cb.agent_id) == ("pending", None, None)  # tried again later
    assert s.get(User, agent_id).status == "available"


def test_a_callbacks_adviser_who_presses_1_completes_it(qapp, caller, adviser, clock, twilio_http, s):
    adviser(phone="+447700900901")
    ask_callback(caller, "+447700900807")
    [cb_id] = dial(qapp, clock)
    p = callee(qapp, form_of(created_calls(twilio_http)[0], "Url"))
    p.press("1")
    clock.tick(5)
    p.adviser_answers(key="1")
    s.expire_all()
    assert s.get(Callback, cb_id).connected_at == clock()  # the conversation starts at the 1
    clock.tick(100)
    p.adviser_hangs_up()
    s.expire_all()
    cb = s.get(Callback, cb_id)
    assert (cb.status, cb.completed_at) == ("completed", clock())
