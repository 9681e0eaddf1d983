"""The question after the call (issue 19), on signed webhooks: a caller still on the line when
their adviser hangs up (or ends the call on the desk) hears "how well did we help you today?"
in their language, in a queue with `survey: true` (employers in the shipped flow), and answers
1 to 5. A wrong key is asked once more; silence ends politely; a caller who hung up is never
asked, and a queue without a survey says goodbye as before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callcenter.accounts.users import create_user
from db import session as db
from db.models import Callback, SurveyResponse, User
from tests.support.desk import PASSWORD, Desk, csrf_from, sign_in
from tests.support.prism import form_of
from tests.support.queue import callee, created_calls, dial, legs_of, put_through

QUESTION = {"en": "Before you go, how well did we help you today? Press 1 for not at all, up to 5 for "
                  "very well.",
            "es": "Antes de colgar, ¿en qué medida le hemos ayudado hoy? Pulse 1 si nada, hasta 5 si mucho."}
THANKS = "Thank you for your answer. Goodbye."
GOODBYE = "Thank you for calling the Employment Service. Goodbye."
LANGUAGE_KEY = {"en": "1", "es": "2"}


def to_employers(caller, number: str, lang: str = "en"):
    """The language, then 4 (employers) and 2 (an employer adviser): the employers queue."""
    return caller(number).dial().press(LANGUAGE_KEY[lang]).press("4").press("2")


def talking(qapp, caller, adviser, clock, twilio_http, number: str, lang: str = "en",
            queue: str = "employers"):
    """A caller talking to an adviser (who took the call on their phone); returns (phone, adviser id)."""
    agent_id = adviser(queues=[queue], languages=["en", "es"], phone="+447700900901")
    if queue == "employers":
        p = to_employers(caller, number, lang)
    else:  # English, then 0: the general queue
        p = caller(number).dial().press("1").press("0")
    clock.tick(20)
    put_through(qapp, agent_id, clock())
    p.redirect(form_of(twilio_http.calls_updated()[-1], "Url"))
    p.adviser_answers(key="1")
    assert p.bridged
    clock.tick(180)
    return p, agent_id


def surveys(s) -> list[SurveyResponse]:
    s.expire_all()
    return list(s.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_caller_still_on_the_line_answers_the_question_in_their_language(
        qapp, caller, adviser, clock, twilio_http, s, lang):
    p, agent_id = talking(qapp, caller, adviser, clock, twilio_http, "+447700900811", lang)
    p.adviser_hangs_up()
    assert p.last_heard == QUESTION[lang] and p.pending.tag == "Gather" and not p.ended
    assert s.get(User, agent_id).status == "after_call"  # the adviser is not held up by the question
    clock.tick(6)
    p.press("4")
    assert p.ended and p.last_heard == (THANKS if lang == "en" else "Gracias por su respuesta. Adiós.")
    [row] = surveys(s)
    [leg] = legs_of(s, p)
    assert (row.score, row.agent_id, row.queue, row.language, row.queue_entry_id) == (
        4, agent_id, "employers", lang, leg.id)
    assert (row.answered_at - row.asked_at).total_seconds() == 6


def test_a_wrong_key_is_asked_once_more_then_the_call_ends_with_thanks(
        qapp, caller, adviser, clock, twilio_http, s):
    p, _ = talking(qapp, caller, adviser, clock, twilio_http, "+447700900812")
    p.adviser_hangs_up()
    p.press("7")
    assert p.heard_since(-2) == f"Please press a key from 1 to 5. {QUESTION['en']}" and not p.ended
    p.press("0")
    assert p.ended and p.last_heard == GOODBYE
    [row] = surveys(s)
    assert (row.score, row.answered_at) == (None, None)  # asked, not answered


def test_a_wrong_key_then_a_good_one_is_a_response(qapp, caller, adviser, clock, twilio_http, s):
    p, _ = talking(qapp, caller, adviser, clock, twilio_http, "+447700900813")
    p.adviser_hangs_up()
    p.press("9").press("2")
    assert p.ended and p.last_heard == THANKS
    assert [r.score for r in surveys(s)] == [2]


def test_silence_ends_the_call_politely_and_counts_as_not_answered(
        qapp, caller, adviser, clock, twilio_http, s):
    p, _ = talking(qapp, caller, adviser, clock, twilio_http, "+447700900814")
    p.adviser_hangs_up()
    p.silence()
    assert p.ended and p.last_heard == GOODBYE
    [row] = surveys(s)
    assert row.score is None and row.asked_at is not None


def test_a_caller_who_hung_up_on_the_adviser_is_not_asked(qapp, caller, adviser, clock, twilio_http, s):
    p, agent_id = talking(qapp, caller, adviser, clock, twilio_http, "+447700900815")
    p.hangup()
    assert surveys(s) == []
    assert s.get(User, agent_id).status == "after_call"


def test_a_queue_without_a_survey_says_goodbye_as_before(qapp, caller, adviser, clock, twilio_http, s):
    p, _ = talking(qapp, caller, adviser, clock, twilio_http, "+447700900816", queue="general")
    p.adviser_hangs_up()
    assert p.ended and p.last_heard == GOODBYE
    assert surveys(s) == []


def _desk(qapp, queues: list[str]) -> tuple[Desk, int]:
    with db.SessionLocal.begin() as s:
        user, _ = create_user(s, "ana", "Ana Adviser", "agent", PASSWORD, queues=queues, languages=["en"],
                           phone="+447700900901")
        s.flush()
        agent_id = user.id
    client = qapp.test_client()
    assert sign_in(client, "ana").status_code == 302
    desk = Desk(client, csrf_from(client, "/account/password"))
    assert desk.send("PUT", "/api/me/status", {"status": "available"}).status_code == 200
    return desk, agent_id


def test_ending_the_conversation_on_the_desk_sends_the_caller_to_the_question(
        qapp, caller, clock, twilio_http, s):
    desk, agent_id = _desk(qapp, ["employers"])
    p = to_employers(caller, "+447700900817")
    entry_id = desk.send("POST", "/api/answer").get_json()["current"]["id"]
    p.redirect(form_of(twilio_http.calls_updated()[-1], "Url"))
    p.adviser_answers(key="1")
    assert desk.send("POST", f"/api/calls/{entry_id}/end").status_code == 200
    update = twilio_http.calls_updated()[-1]
    assert form_of(update, "Url") == f"http://localhost/ivr/survey/leg/{entry_id}"  # not Status=completed
    assert s.get(User, agent_id).status == "after_call"
    p.redirect(form_of(update, "Url"))
    assert p.last_heard == QUESTION["en"]
    p.press("5")
    assert p.last_heard == THANKS
    [row] = surveys(s)
    assert (row.score, row.agent_id, row.queue_entry_id) == (5, agent_id, entry_id)


def test_a_callback_in_a_survey_queue_asks_too(qapp, caller, adviser, clock, twilio_http, s):
    p = to_employers(caller, "+447700900818")
    p.press("1").press("1")  # on hold: a callback, to this number
    assert p.ended
    p.hangup()
    agent_id = adviser(queues=["employers"], phone="+447700900901")
    [cb_id] = dial(qapp, clock)
    back = callee(qapp, form_of(created_calls(twilio_http)[0], "Url"))
    back.press("1")
    back.adviser_answers(key="1")
    clock.tick(120)
    back.adviser_hangs_up()
    assert back.last_heard == QUESTION["en"]
    back.press("3")
    assert back.ended and back.last_heard == THANKS
    [row] = surveys(s)
    assert (row.score, row.callback_id, row.agent_id, row.queue) == (3, cb_id, agent_id, "employers")
    assert s.get(Callback, cb_id).status == "completed"
