"""Waiting for an adviser: the `queue` action of the flow and the ways out when nobody can take
the caller now (closed, no adviser logged in, a full line): a callback that keeps their place (1)
or a message (2, and what silence gets), never on hold for ever.

Our database is the source of truth for order and priority: Twilio's queue (same name as ours)
only holds the audio (ivr/queue/connect.py `enqueue`). The hold loop and the ways out of it are
the views in ivr/views/queue.py.
"""

from __future__ import annotations

import logging

from flask import url_for
from sqlalchemy import func, select

from config.flow import Node, Queue
from config.flow_schema import TWILIO_QUEUE_MAX_SIZE
from db import advisers
from db.models import QueueEntry
from db.states import LegStatus
from ivr import calls, engine
from ivr.actions import callback_request, voicemail
from ivr.engine import MAX_RETRIES, Turn
from ivr.queue import connect, hold, legs
from ivr.queue import prompts as qp

log = logging.getLogger(__name__)
BRIDGED = ("redirected", "redirected-from-bridged", "bridged", "bridging-in-process")


def enter_queue(t: Turn, node: Node) -> None:
    """A caller asks for a person (menu key 0, a queue node, retries used up)."""
    calls.event(t.call, "adviser", node.id, node.queue)
    if t.call.adviser_requested_at is None:
        t.call.adviser_requested_at = t.now
    t.call.queue = node.queue
    join(t, t.flow.queues[node.queue or ""])


def join(t: Turn, queue: Queue) -> None:
    if not t.open():
        engine.announce_closed(t)
        offer(t, queue.name, None)
        return
    entry = legs.open_leg(t.s, t.call.id) if t.call.id else None
    if entry is not None and entry.status == LegStatus.WAITING and entry.queue == queue.name:
        connect.enqueue(t, entry)  # back in line at the same place
        return
    lang = t.speaker.lang
    if not advisers.serving(t.s, queue.name, lang):
        calls.event(t.call, "queue_refused", queue.name, "no_advisers")
        qp.say(t.speaker, t.reply, "queue_no_advisers")
        offer(t, queue.name, None)
        return
    waiting = t.s.scalar(select(func.count()).select_from(QueueEntry)
                         .where(QueueEntry.queue == queue.name, QueueEntry.status == LegStatus.WAITING))
    if waiting >= min(queue.max_size, TWILIO_QUEUE_MAX_SIZE):  # a Flow built without the schema
        calls.event(t.call, "queue_refused", queue.name, "full")
        qp.say(t.speaker, t.reply, "queue_full")
        offer(t, queue.name, None)
        return
    entry = QueueEntry(call=t.call, queue=queue.name, language=lang, priority=queue.priority,
                       intent=t.call.reason, enqueued_at=t.now, status=LegStatus.WAITING)
    t.s.add(entry)
    t.s.flush()  # the leg's id goes into the hold and action URLs
    calls.event(t.call, "queued", queue.name)
    qp.say(t.speaker, t.reply, "queue_joined")
    connect.enqueue(t, entry)


def offer(t: Turn, queue: str, entry: QueueEntry | None, attempt: int = 0) -> None:
    """Callback (1) or a message (2); silence takes a message: never on hold for ever. Without a
    number to call back from (TWILIO_CALLER_ID), a message straight away."""
    if not callback_request.offered():
        take_message(t, entry)
        return
    url = url_for("ivr_queue.offer_input", queue=queue, entry_id=entry.id if entry else 0,
                  attempt=attempt)
    gather = t.gather(url)
    qp.say(t.speaker, gather, "queue_offer")
    t.reply.redirect(url, method="POST")


def take_message(t: Turn, entry: QueueEntry | None) -> None:
    if entry is not None:
        legs.leave(t.s, entry, "voicemail", t.now)
    voicemail.voicemail(t)


def offer_chosen(t: Turn, queue: str, entry: QueueEntry | None, keys: str, tries: int) -> None:
    """The caller's key at the offer (the flow's answer_keys): callback, or message (or silence,
    or retries used up)."""
    if queue not in t.flow.queues:
        engine.enter(t, t.flow.adviser)
    elif keys == t.flow.answer_keys.callback and callback_request.offered():
        calls.event(t.call, "key", queue, "callback")
        callback_request.start(t, queue, entry)
    elif keys in (t.flow.answer_keys.message, "") or tries >= MAX_RETRIES:
        calls.event(t.call, "key", queue, "voicemail" if keys else "no_input")
        take_message(t, entry)
    else:
        t.say("invalid")
        offer(t, queue, entry, tries + 1)


def left(t: Turn, entry: QueueEntry | None, result: str) -> None:
    """The <Enqueue> action: the caller left Twilio's queue, and Twilio's QueueResult says how."""
    if entry is None:
        engine.enter(t, t.flow.adviser)
    elif result == "hangup":
        legs.hung_up(t.s, entry, t.now)  # our clock, not QueueTime (legs.waited)
    elif result in BRIDGED:
        # A REST redirect (adviser, transfer) took the call: Twilio ignores this reply, but if it
        # did not, pointing at where the call is meant to be is the one answer that is safe.
        connect.resume(t, entry)
    elif result == "leave":
        why = hold.why_let_out(t.s, t.call.id)
        if why == "callback":
            callback_request.start(t, entry.queue, entry)
        else:
            if why == "closed":
                t.say("closed")
                t.say("hours")
            else:
                qp.say(t.speaker, t.reply, "queue_long_wait")
            offer(t, entry.queue, entry)
    else:  # queue-full, error, system-error: Twilio could not hold the caller
        log.warning("Twilio queue result %s for leg %s", result[:24], entry.id)
        calls.event(t.call, "error", entry.queue, f"queue result {result[:24]}")
        t.say("error")
        offer(t, entry.queue, entry)
