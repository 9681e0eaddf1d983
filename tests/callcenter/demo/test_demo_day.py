"""seed-demo leaves a finished day that is safe to show: nobody on duty, nothing waiting or
ringing, only numbers kept for fiction, the reasons and intents of the flow, and advisers whose
names say what their usernames say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from callcenter.demo.seed import seed_demo
from config import settings
from config.flow import load_flow
from db import session as db
from db.models import AgentStatusChange, Call, Callback, Caller, CallEvent, QueueEntry, Recording, User
from db.states import CALLBACK_OPEN, LEG_OPEN, AdviserStatus, CallStatus
from ivr.telephony.numbers import FICTION_MOBILE, is_fictional

# Monday 10:30 in London: the busiest hour, when a demo cut off at "now" would leave live work.
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


def _seed(calls: int = 1500) -> dict[str, int]:
    return seed_demo(db.SessionLocal, days=7, calls=calls, seed=5, now=NOW)


def test_the_demo_day_is_over_nobody_on_duty_nothing_waiting_or_ringing(app):
    _seed()
    with db.SessionLocal() as s:
        statuses = set(s.scalars(select(User.status).where(User.username.like("demo-%"))))
        last_moves = s.execute(select(AgentStatusChange.user_id, AgentStatusChange.status)
                               .order_by(AgentStatusChange.at, AgentStatusChange.id)).all()
        live_calls = s.scalar(select(func.count()).select_from(Call)
                              .where(Call.status != CallStatus.COMPLETED))
        open_legs = s.scalar(select(func.count()).select_from(QueueEntry)
                             .where(QueueEntry.status.in_(LEG_OPEN)))
        open_callbacks = s.scalar(select(func.count()).select_from(Callback)
                                  .where(Callback.status.in_(CALLBACK_OPEN)))
        latest = s.scalar(select(func.max(Call.ended_at)))
        busy_today = s.scalar(select(func.count()).select_from(Call).where(
            Call.started_at >= NOW - timedelta(hours=2)))
    assert statuses == {AdviserStatus.OFFLINE}
    assert {status for _, status in dict(last_moves).items()} == {AdviserStatus.OFFLINE}
    assert live_calls == 0 and open_legs == 0 and open_callbacks == 0
    assert latest.replace(tzinfo=UTC) <= NOW and busy_today > 20  # the morning is there, all of it over


def test_every_number_in_the_demo_is_kept_for_fiction_and_none_is_the_web_phones(app):
    counts = _seed()
    with db.SessionLocal() as s:
        numbers = (list(s.scalars(select(Caller.phone))) + list(s.scalars(select(Callback.phone)))
                   + list(s.scalars(select(Call.to_number).distinct()))
                   + [p for p in s.scalars(select(User.phone)) if p])
    assert counts["callers"] > 100 and counts["callbacks"] > 0
    assert [n for n in numbers if not is_fictional(n)] == []
    assert [n for n in numbers if n.startswith(FICTION_MOBILE)] == []


def test_reasons_are_the_flows_intents_said_in_the_callers_language(app):
    flow = load_flow(settings.IVR_FILE)
    _seed()
    with db.SessionLocal() as s:
        reasons = s.execute(select(Call.reason, Call.queue).where(Call.reason.is_not(None))).all()
        legs = set(s.scalars(select(QueueEntry.intent).where(QueueEntry.intent.is_not(None))))
        said = s.execute(select(Recording.intent, Recording.language, Recording.text)
                         .where(Recording.kind == "reason")).all()
        routed = s.scalars(select(CallEvent.detail).where(CallEvent.kind == "intent")).all()
        messages = s.execute(select(Recording.language, Recording.text)
                             .where(Recording.kind == "voicemail")).all()
    assert {intent for intent, _ in reasons} == set(flow.intent_routes) == legs
    assert sorted(routed) == sorted(intent for intent, _ in reasons)  # the call's story says so too
    for intent, queue in reasons:  # each call waited in the queue its intent routes to
        assert flow.nodes[flow.intent_routes[intent]].queue == queue
    phrases = {(intent, lang): words for intent, by_lang in flow.intents.items()
               for lang, words in by_lang.items()}
    first = flow.default_language  # Swahili has no phrases (no speech model): its callers say these
    assert said and all(text in phrases.get((intent, language), phrases[(intent, first)])
                        for intent, language, text in said)
    assert {language for _, language, _ in said} >= {"en", "es"}
    words = {(language, phrase) for by_language in flow.intents.values()
             for language, phrases in by_language.items() for phrase in phrases}
    spoken = {language for by_language in flow.intents.values() for language in by_language}
    heard = {(language if language in spoken else first, text) for language, text in messages}
    assert messages and heard <= words  # voicemails too: why they call, in their language


def test_adviser_names_say_their_queue_and_number_and_a_second_run_reuses_the_callers(app):
    flow = load_flow(settings.IVR_FILE)
    first = _seed(600)
    again = _seed(600)
    with db.SessionLocal() as s:
        advisers = s.execute(select(User.username, User.name, User.queues)).all()
        callers = s.scalar(select(func.count()).select_from(Caller))
    assert again["calls"] == first["calls"] and callers == first["callers"]  # the same demo numbers
    assert len({username for username, _, _ in advisers}) == len(advisers) >= 12
    for username, name, queues in advisers:
        queue, number = re.fullmatch(r"demo-([a-z]+)-(\d+)", username).groups()
        assert queues == [queue]
        assert name == f"Demo adviser {number}, {flow.queues[queue].label[flow.default_language]}"
