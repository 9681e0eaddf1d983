"""Who is in the demo: callers' numbers (drama ranges only), advisers named after the flow's
queue labels, the languages callers speak and the reasons they give (the flow's intents, in the
words the flow listens for, in the caller's language).

Numbers: Ofcom keeps its drama ranges out of service, so no demo row holds a number someone
answers, and the dialler refuses to ring them through Twilio (callcenter/routing/callbacks.py).
Callers get the geographic drama ranges; the mobile one is the web phone's (callcenter/webphone),
so a user's web-phone calls never share a history with a demo caller.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from config.flow import Flow
from db.models import Caller, User
from db.states import AdviserStatus, Role
from ivr.telephony.numbers import FICTION_FREEPHONE, FICTION_GEOGRAPHIC, FICTION_RANGE_SIZE, fiction_number

HELPLINE = fiction_number(FICTION_FREEPHONE, 0)  # the number demo callers ring (0808 157 0000)
MAX_CALLERS = len(FICTION_GEOGRAPHIC) * FICTION_RANGE_SIZE
# The demo's language mix by flow language code; a flow language not listed gets the small share.
LANGUAGE_SHARES = {"en": 0.72, "es": 0.18, "fr": 0.10}
OTHER_LANGUAGE_SHARE = 0.03
NO_LOGIN = "!demo-no-login"  # matches no password: demo advisers cannot sign in


def caller_phone(n: int) -> str:
    """The demo's n-th caller number, e.g. 0 -> '+442079460000' (020 7946 0000)."""
    return fiction_number(FICTION_GEOGRAPHIC[n // FICTION_RANGE_SIZE], n % FICTION_RANGE_SIZE)


def callers(s: Session, n: int, next_id: int) -> list[int]:
    """Caller ids for the demo's first n numbers: a number already in the database (an earlier
    run) keeps its row, so a second run adds calls from the same callers; the others are added."""
    phones = [caller_phone(k) for k in range(n)]
    have: dict[str, int] = {}
    for prefix in FICTION_GEOGRAPHIC[:(n + FICTION_RANGE_SIZE - 1) // FICTION_RANGE_SIZE]:
        have.update(s.execute(select(Caller.phone, Caller.id).where(Caller.phone.like(f"{prefix}%"))).all())
    rows, ids = [], []
    for phone in phones:
        if phone not in have:
            have[phone] = next_id
            rows.append({"id": next_id, "phone": phone, "language": "en"})
            next_id += 1
        ids.append(have[phone])
    for start in range(0, len(rows), 5_000):
        s.execute(insert(Caller.__table__), rows[start:start + 5_000])
    return ids


def languages(flow: Flow) -> tuple[list[str], list[float]]:
    """The flow's languages and how often demo callers choose each."""
    codes = [lang.code for lang in flow.languages]
    return codes, [LANGUAGE_SHARES.get(code, OTHER_LANGUAGE_SHARE) for code in codes]


def spoken_routes(flow: Flow) -> tuple[tuple[str, ...], dict[str, list[tuple[str, str]]]]:
    """The menu path to the step where callers say why they call (empty: the flow has none), and
    per queue the intents (with the node each routes to) that lead there."""
    asking = next((n.id for n in flow.nodes.values() if n.route_by_intent), None)
    by_queue: dict[str, list[tuple[str, str]]] = {}
    for intent, node in flow.intent_routes.items():
        queue = flow.nodes[node].queue if node in flow.nodes else None
        if queue:
            by_queue.setdefault(queue, []).append((intent, node))
    return (_path_to(flow, asking) if asking else ()), by_queue


def _path_to(flow: Flow, target: str) -> tuple[str, ...]:
    seen, todo = {flow.start: (flow.start,)}, deque([flow.start])
    while todo:
        node = flow.nodes[todo.popleft()]
        for nxt in [o.next for o in node.options.values()] + [node.next]:
            if nxt and nxt in flow.nodes and nxt not in seen:
                seen[nxt] = seen[node.id] + (nxt,)
                todo.append(nxt)
    return seen.get(target, ())


def said(rng: random.Random, flow: Flow, intent: str, language: str) -> str:
    """What a caller says for this intent: one of the flow's phrases in their language, else in
    the flow's first language (a language the flow has no phrases for, such as one heard only from
    recordings, has no speech model either: its callers are shown giving their reason in that one)."""
    phrases = flow.intents.get(intent, {})
    return rng.choice(phrases.get(language) or phrases.get(flow.default_language) or [intent])


def message(rng: random.Random, flow: Flow, language: str) -> str | None:
    """What a caller says in a voicemail: why they call, in the flow's words (None: no intents)."""
    intents = sorted(flow.intents)
    return said(rng, flow, rng.choice(intents), language) if intents else None


def advisers(s: Session, flow: Flow, next_id: int, per_queue: dict[str, int],
             now: datetime) -> dict[str, list[int]]:
    """Demo advisers, one queue each so their time lines never overlap, offline, unable to sign
    in. Username and name say the same: demo-benefits-3 is "Demo adviser 3, Benefits" (the
    queue's label in the flow's first language); a second run numbers on from the first."""
    rows: list[dict[str, Any]] = []
    pools: dict[str, list[int]] = {}
    codes = [lang.code for lang in flow.languages]
    for q, n in per_queue.items():
        taken = s.scalars(select(User.username).where(User.username.like(f"demo-{q}-%"))).all()
        before = max((int(u.rsplit("-", 1)[1]) for u in taken if u.rsplit("-", 1)[1].isdigit()), default=0)
        queue = flow.queues.get(q)
        label = queue.label.get(flow.default_language, q) if queue else q
        pools[q] = []
        for k in range(before + 1, before + n + 1):
            rows.append({"id": next_id, "username": f"demo-{q}-{k}", "name": f"Demo adviser {k}, {label}",
                         "password_hash": NO_LOGIN, "role": Role.AGENT, "queues": [q],
                         "languages": codes if k % 3 == 1 else codes[:1],
                         "status": AdviserStatus.OFFLINE, "status_since": now})
            pools[q].append(next_id)
            next_id += 1
    if rows:
        s.execute(insert(User.__table__), rows)
    return pools
