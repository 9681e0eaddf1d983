"""Putting a caller through to the adviser who claimed them, in TwiML.

Why not the textbook `<Dial><Queue>` from the adviser's leg: Twilio dequeues the *front* of its
own queue, but here the database decides who is next (priorities, callbacks keeping places,
the adviser's languages) and the adviser has already seen *this* caller's summary when they
click Answer. So the desk claims a leg atomically and redirects that caller's own call through
the REST API (callcenter/routing.py `connect`) to /ivr/queue/connect/<leg>, answered here with
`<Dial>` to the adviser: `<Number>` when they take calls on a phone, `<Client>` (Voice SDK in
the desk) otherwise. The redirect takes the caller out of Twilio's queue; the `url` of the noun
(a whisper on the adviser's leg) marks the leg connected when the adviser really picks up, and
the `<Dial action>` ends the conversation, or puts the caller back in line, place kept, when the
adviser does not answer.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, request, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Dial, VoiceResponse

from config.flow import Flow
from db.models import QueueEntry, User
from ivr import calls, legs
from ivr import queue_prompts as qp
from ivr.engine import Turn, goodbye
from ivr.telephony.numbers import caller_number
from ivr.twiml import Speaker

DIAL_TIMEOUT_S = 20  # rings before the caller goes back in line


def client_identity(agent: User) -> str:
    """The Voice SDK identity of an adviser's browser: an id, never a name or a number."""
    return f"agent-{agent.id}"


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
        dial.client(identity=client_identity(agent), url=whisper_url, method="POST" if whisper_url else None)


def resume(t: Turn, entry: QueueEntry | None) -> None:
    """Put the caller where their leg says they should be: the adviser, the line, or goodbye."""
    from ivr.queueing import enqueue  # the queueing module imports this one

    if entry is None:
        from ivr.engine import enter

        enter(t, t.flow.adviser)
        return
    newer = legs.open_leg(t.s, t.call.id)
    if newer is not None and newer.id != entry.id:
        entry = newer  # transferred since: the newest leg is the live one
    if entry.status == "connecting" and entry.agent is not None:
        qp.say(t.speaker, t.reply, "queue_connecting")
        dial = t.reply.dial(action=url_for("ivr_queue.dialed", entry_id=entry.id), method="POST",
                            timeout=DIAL_TIMEOUT_S, answer_on_bridge=True)
        dial_adviser(dial, entry.agent, url_for("ivr_queue.whisper", entry_id=entry.id))
    elif entry.status == "waiting":
        enqueue(t, entry)
    else:
        goodbye(t)


def dial_ended(t: Turn, entry: QueueEntry | None, dial_status: str) -> None:
    """<Dial action>: the conversation is over, or the adviser never picked up."""
    if entry is None:
        goodbye(t)
        return
    if entry.status == "connected":  # the adviser hung up: after-call work starts
        entry.status, entry.ended_at = "ended", t.now
        legs.move_agent(t.s, entry.agent_id, "after_call", t.now)
        calls.event(t.call, "adviser_ended", entry.queue)
        goodbye(t)
    elif entry.status == "connecting":  # no answer, busy or failed: back in line, same place
        calls.event(t.call, "adviser_missed", entry.queue, dial_status[:20] or None)
        legs.move_agent(t.s, entry.agent_id, "available", t.now)
        entry.status, entry.agent_id, entry.answered_at = "waiting", None, None
        qp.say(t.speaker, t.reply, "adviser_missed")
        resume(t, entry)
    elif entry.outcome == "transferred" or legs.open_leg(t.s, t.call.id) is not None:
        resume(t, entry)  # a transfer moved the call; follow it
    else:
        goodbye(t)


def adviser_answered(s: Session, flow: Flow, entry_id: int, now: datetime) -> VoiceResponse:
    """The whisper: the adviser picked up; mark the leg connected and tell them the queue."""
    reply = VoiceResponse()
    entry = s.get(QueueEntry, entry_id)
    if entry is None:
        return reply
    if entry.status == "connecting":
        entry.status, entry.outcome = "connected", "answered"
        calls.event(entry.call, "adviser_answered", entry.queue)
    sp = Speaker(flow, flow.default_language)
    queue = flow.queues.get(entry.queue)
    qp.say(sp, reply, "whisper", queue=queue.label.get(sp.lang, entry.queue) if queue else entry.queue)
    return reply

