"""Putting a caller through to the adviser who claimed them, in TwiML.

Why not the textbook `<Dial><Queue>` from the adviser's leg: Twilio dequeues the *front* of its
own queue, but here the database decides who is next (priorities, callbacks keeping places,
the adviser's languages) and the adviser has already seen *this* caller's summary when they
click Answer. So the desk claims a leg atomically and redirects that caller's own call through
the REST API (callcenter/routing/claims.py `connect`) to /ivr/queue/connect/<leg>, answered here with
`<Dial>` to the adviser: `<Number>` when they take calls on a phone, `<Client>` (Voice SDK in
the desk) otherwise. The redirect takes the caller out of Twilio's queue; the `url` of the noun
(a whisper on the adviser's leg) asks the adviser to press 1, which marks the leg connected, and
the `<Dial action>` ends the conversation, or puts the caller back in line, place kept, when the
adviser does not take the call (busy, no answer, or a voicemail that never presses 1).
"""

from __future__ import annotations

from flask import current_app, request, url_for
from twilio.twiml.voice_response import Dial

from db.models import QueueEntry, User
from db.states import AdviserStatus, CallStatus, LegOutcome, LegStatus
from ivr import calls
from ivr.engine import Turn, enter, goodbye
from ivr.queue import legs, survey
from ivr.queue import prompts as qp
from ivr.telephony.identity import client_identity
from ivr.telephony.numbers import caller_number

DIAL_TIMEOUT_S = 20  # rings before the caller goes back in line


def dial_adviser(dial: Dial, agent: User, whisper_url: str | None) -> None:
    """Ring the adviser: their phone (`<Number>`) or their browser (`<Client>`).

    A phone leg shows the caller's number (Twilio's default). When the caller withheld it or it
    is not a number, Twilio passes the invalid caller ID on and the adviser's carrier may refuse
    the call (error 13214: "substitute them with a valid Caller ID",
    https://www.twilio.com/docs/api/errors/13214); the leg then shows TWILIO_CALLER_ID, else the
    number the caller dialled (a called number is an allowed callerId, same page).
    """
    if agent.phone:
        if caller_number(request.form.get("From")) is None:
            shown = current_app.config.get("TWILIO_CALLER_ID") or caller_number(request.form.get("To"))
            if shown:
                dial.attrs["callerId"] = shown  # <Dial callerId>, after the verb was built
        dial.number(agent.phone, url=whisper_url, method="POST" if whisper_url else None)
    else:
        dial.client(identity=client_identity(agent.id), url=whisper_url,
                    method="POST" if whisper_url else None)


def enqueue(t: Turn, entry: QueueEntry) -> None:
    """Into Twilio's queue of the leg's name: the wait URL is the hold loop, the action hears how
    the caller left it (ivr/views/queue.py)."""
    t.reply.enqueue(entry.queue, action=url_for("ivr_queue.left", entry_id=entry.id), method="POST",
                    wait_url=url_for("ivr_queue.hold_loop", entry_id=entry.id), wait_url_method="POST")


def resume(t: Turn, entry: QueueEntry | None) -> None:
    """Put the caller where their leg says they should be: the adviser, the line, or goodbye."""
    if entry is None:
        enter(t, t.flow.adviser)
        return
    newer = legs.open_leg(t.s, t.call.id)
    if newer is not None and newer.id != entry.id:
        entry = newer  # transferred since: the newest leg is the live one
    if entry.status == LegStatus.CONNECTING and entry.agent is not None:
        qp.say(t.speaker, t.reply, "queue_connecting")
        dial = t.reply.dial(action=url_for("ivr_queue.dialed", entry_id=entry.id), method="POST",
                            timeout=DIAL_TIMEOUT_S, answer_on_bridge=True)
        dial_adviser(dial, entry.agent, url_for("ivr_whisper.whisper", entry_id=entry.id))
    elif entry.status == LegStatus.WAITING:
        enqueue(t, entry)
    else:
        goodbye(t)


def dial_ended(t: Turn, entry: QueueEntry | None, dial_status: str) -> None:
    """<Dial action>: the conversation is over, or the adviser never took the call.

    Decided by Twilio's DialCallStatus (completed, busy, no-answer, failed, canceled; see
    ivr/SIMULATOR.md) together with the whisper: only a `completed` dial whose adviser pressed 1
    (leg `connected`) was a conversation. Busy, no answer, a failed line, or an answered leg
    nobody accepted (a voicemail greeting, the whisper's <Gather> timing out) is a miss: the
    caller goes back in line, place kept, and the adviser's miss is recorded.
    """
    if entry is None:
        goodbye(t)
        return
    talked = dial_status == CallStatus.COMPLETED and entry.status == LegStatus.CONNECTED
    if talked:  # the adviser hung up: after-call work starts
        entry.status, entry.ended_at = LegStatus.ENDED, t.now
        legs.move_agent(t.s, entry.agent_id, AdviserStatus.AFTER_CALL, t.now)
        calls.event(t.call, "adviser_ended", entry.queue)
        # CallStatus is the caller's own call: in-progress while they are on the line, completed
        # once they hung up (then no question; ivr/queue/survey.py has the sources).
        if t.form.get("CallStatus") != CallStatus.COMPLETED and survey.wanted(t.flow, entry.queue):
            survey.ask(t.s, t.speaker, t.reply, t.now, call_id=t.call.id, queue=entry.queue,
                       agent_id=entry.agent_id, entry_id=entry.id)
        else:
            goodbye(t)
    elif entry.status in (LegStatus.CONNECTING, LegStatus.CONNECTED):  # never a conversation: back in line
        why = dial_status if dial_status and dial_status != CallStatus.COMPLETED else "not_accepted"
        calls.event(t.call, "adviser_missed", entry.queue, why[:20])
        legs.move_agent(t.s, entry.agent_id, AdviserStatus.AVAILABLE, t.now)
        entry.status, entry.agent_id, entry.answered_at, entry.outcome = LegStatus.WAITING, None, None, None
        qp.say(t.speaker, t.reply, "adviser_missed")
        resume(t, entry)
    elif entry.outcome == LegOutcome.TRANSFERRED or legs.open_leg(t.s, t.call.id) is not None:
        resume(t, entry)  # a transfer moved the call; follow it
    else:
        goodbye(t)
