"""The caller's path as an adviser reads it: where they went in the menus, said in the words the
caller heard (the flow's labels and prompts, never node ids), what they did on hold, and each
transfer between advisers with who made it, from which queue, and the note they left.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.flow import Flow
from db.models import CallEvent, QueueEntry, User

# The keys every menu reserves (config/ivr.yaml `keys`) and the choices on hold, as the steps an
# adviser reads in the caller's path: the engine logs them by name.
RESERVED_STEPS = {"adviser": "Asked for an adviser", "repeat": "Heard the menu again",
                  "back": "Went back", "slower": "Asked for slower speech"}
HOLD_STEPS = {"callback": "Asked to be called back", "voicemail": "Left a voicemail"}
# A node with no words of its own (no prompt, no text), named by what it does.
ACTION_STEPS = {"language": "Language choice", "voicemail": "Voicemail", "record": "Spoke an answer",
                "capture": "Typed a number", "queue": "Waited for an adviser", "hangup": "Call ended",
                "menu": "A menu", "say": "Heard a message"}
LABEL_MAX = 60
NO_ADVISER_NAME = "an adviser"  # the account was since removed


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip())[0].rstrip(".!? ")
    if len(sentence) <= LABEL_MAX:
        return sentence
    return sentence[:LABEL_MAX].rsplit(" ", 1)[0] + "…"


def node_label(flow: Flow, node_id: str) -> str:
    """A node as an adviser reads it: a queue's label, the first sentence the caller heard there
    ("Main menu"), or what the node does ("Language choice"), never its id."""
    node = flow.nodes.get(node_id)
    if node is None:
        return "A step no longer in the menus"
    queue = flow.queues.get(node.queue or "")
    if node.action == "queue" and queue is not None:
        return "Queue: " + queue.label["en"]
    heard = (node.prompt.get("en") or node.text.get("en") or "").strip()
    if heard and node.action != "language":
        return _first_sentence(heard)
    return ACTION_STEPS.get(node.action, "A step in the menus")


def menu_path(flow: Flow, events: Sequence[CallEvent]) -> list[dict[str, Any]]:
    """The caller's way through the menus as steps: the first menu, then each key and where it led."""
    named = {key: name for name, key in flow.keys.items()}
    steps: list[dict[str, Any]] = []
    for ev in events:
        if ev.kind == "enter" and not steps and ev.node:
            steps.append({"key": None, "label": node_label(flow, ev.node)})
        elif ev.kind == "key" and ev.node and ev.detail:
            node = flow.nodes.get(ev.node)
            option = node.options.get(ev.detail) if node else None
            if option is not None:
                label = option.label.get("en") or node_label(flow, option.next)
                steps.append({"key": option.key, "label": label})
            elif ev.detail in flow.keys or ev.detail in named:  # the engine logs reserved keys by name
                name = ev.detail if ev.detail in flow.keys else named[ev.detail]
                label = RESERVED_STEPS.get(name) or name.replace("_", " ").capitalize()
                steps.append({"key": flow.keys[name], "label": label})
            elif ev.detail in HOLD_STEPS:
                steps.append({"key": None, "label": HOLD_STEPS[ev.detail]})
        elif ev.kind == "adviser" and ev.detail:
            queue = flow.queues.get(ev.detail)
            steps.append({"key": None, "label": "Queue: " + (queue.label["en"] if queue else ev.detail)})
    return steps


def transfer_steps(s: Session, flow: Flow, call_id: int, up_to: int | None = None) -> list[dict[str, Any]]:
    """Each transfer of the call (up to the leg `up_to`), oldest first: "Transferred by Ana from
    Benefits", the queue it went to, and the note for the next adviser (None when none was left)."""
    legs = s.scalars(select(QueueEntry).where(QueueEntry.call_id == call_id,
                                              QueueEntry.transferred_from_id.is_not(None))
                     .order_by(QueueEntry.id)).all()
    legs = [leg for leg in legs if up_to is None or leg.id <= up_to]
    if not legs:
        return []
    before = {leg.id: leg for leg in s.scalars(select(QueueEntry).where(
        QueueEntry.id.in_([leg.transferred_from_id for leg in legs])))}
    names = {u.id: u.name for u in s.scalars(select(User).where(
        User.id.in_([b.agent_id for b in before.values() if b.agent_id])))}

    def queue_label(code: str) -> str:
        queue = flow.queues.get(code)
        return queue.label["en"] if queue else code

    steps = []
    for leg in legs:
        old = before[leg.transferred_from_id]
        who = names.get(old.agent_id) if old.agent_id else None
        steps.append({"key": None, "kind": "transfer",
                      "label": f"Transferred by {who or NO_ADVISER_NAME} from {queue_label(old.queue)}",
                      "to": queue_label(leg.queue), "by": who, "note": leg.transfer_note or None})
    return steps
