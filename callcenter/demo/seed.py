"""Demo traffic for the wallboard, the reports and the benchmarks: `seed_demo()`.

Days of calls through the same tables the IVR and the desk write (calls, queue legs, callbacks,
events, captures, recordings, adviser status changes), with the shape a helpdesk really has:
Monday-morning peaks, a quiet Friday afternoon, closed weekends that end in self-service or
voicemail, callers who ring again, and waits that come from a small queue simulation (advisers
free up one by one), so abandons grow with the wait instead of being drawn at a flat rate.
Deterministic for a given seed and `now`; rows go in with Core executemany in batches.

The demo day is over at `now`: only calls whose whole story (the wait, the talk, the after-call
work, the callback) ended by then are written, and every demo adviser has signed off, so no
callback is pending or being dialled and no call or queue leg is live. Callers' numbers are
fictional (callcenter/demo/people.py); the reasons they give are the flow's intents.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from callcenter.demo import people
from callcenter.demo.rows import call_rows, finished_at, leg_rows, plan_callback
from callcenter.reports.rollups.build import roll_up
from config import settings
from config.flow import load_flow
from db.models import AgentStatusChange, Call, Caller, QueueEntry, User
from db.states import CallOutcome, LegOutcome

BATCH = 5_000
# queue -> (share of queued calls, the menu path callers take to it)
QUEUES = {
    "general": (0.40, ("main", "adviser")),
    "benefits": (0.45, ("main", "benefits", "benefit_id", "adviser_benefits")),
    "employers": (0.15, ("main", "employers", "adviser_employers")),
}
SPOKEN_SHARE = 0.35  # queued callers who said why they call (the flow routed them by intent)
SELF_SERVICE = (("main", "register"), ("main", "vacancies"), ("main", "offices"),
                ("main", "benefits", "benefit_dates"), ("main", "benefits", "benefit_claim"),
                ("main", "employers", "employer_post"))
HANGUP_AT = (("main",), ("main", "benefits"), ("main", "employers"), ("main", "benefits", "benefit_id"),
             ("main", "language"))
TALK_MEAN_S, ACW_MEAN_S = 270.0, 50.0
PATIENCE_MEAN_S, MAX_WAIT_S = 170.0, 900.0


def _hour_weight(local: datetime) -> tuple[float, bool]:
    """Relative arrivals in this local hour, and whether advisers are on duty."""
    wd, h = local.weekday(), local.hour
    close = 16 if wd == 4 else 18
    if wd >= 5:
        return (0.08 if 8 <= h < 20 else 0.01), False
    if not 8 <= h < close:
        return (0.10 if 7 <= h < 22 else 0.01), False
    shape = {8: 0.9, 9: 1.5, 10: 1.6, 11: 1.35, 12: 0.95, 13: 1.0, 14: 1.1, 15: 0.95, 16: 0.7, 17: 0.5}[h]
    day = {0: 1.45, 1: 1.1, 2: 1.0, 3: 0.95, 4: 0.8}[wd]
    if wd == 0 and h in (9, 10, 11):
        shape *= 1.25  # the Monday-morning rush after a weekend of letters and closed offices
    return shape * day, True


def _slots(days: int, now: datetime, tz: ZoneInfo) -> list[tuple[datetime, float, bool]]:
    first = (now.astimezone(tz) - timedelta(days=days - 1)).date()
    slots = []
    for d in range(days):
        day = first + timedelta(days=d)
        for h in range(24):
            local = datetime(day.year, day.month, day.day, h, tzinfo=tz)
            start = local.astimezone(UTC)
            if start <= now:
                weight, open_ = _hour_weight(local)
                slots.append((start, weight, open_))
    return slots


def _next_ids(s: Session) -> dict[str, int]:
    out = {}
    for model in (Call, QueueEntry, Caller, User):
        out[model.__tablename__] = (s.scalar(select(func.max(model.id))) or 0) + 1
    return out


def _staffing(n_legs: dict[str, int], open_s: float) -> dict[str, int]:
    # Staff slightly above the average load: peaks then queue up, quiet hours do not.
    return {q: max(2, math.ceil(n * (TALK_MEAN_S + ACW_MEAN_S) / max(open_s, 1.0) * 1.08))
            for q, n in n_legs.items()}


def _simulate_queue(rng: random.Random, legs: list[dict[str, Any]], agents: list[int]) -> None:
    """FIFO queue with a heap of advisers' free times; fills answered/left/outcome on each leg."""
    free = [(datetime.min.replace(tzinfo=UTC), a) for a in agents]
    heapq.heapify(free)
    for leg in sorted(legs, key=lambda x: x["enqueued_at"]):
        enq = leg["enqueued_at"]
        free_at, agent = heapq.heappop(free)
        wait = max(0.0, (free_at - enq).total_seconds())
        patience = rng.expovariate(1 / PATIENCE_MEAN_S)
        if wait > patience or wait > MAX_WAIT_S:
            heapq.heappush(free, (free_at, agent))
            gives_up = min(patience, MAX_WAIT_S)
            if wait > MAX_WAIT_S and patience > MAX_WAIT_S:
                leg["outcome"] = LegOutcome.VOICEMAIL
            elif gives_up > 45 and rng.random() < 0.35:
                leg["outcome"], gives_up = LegOutcome.CALLBACK, min(gives_up, rng.uniform(40, 120))
            else:
                leg["outcome"] = LegOutcome.SHORT_ABANDON if gives_up <= 5 else LegOutcome.ABANDONED
            leg["left_at"] = enq + timedelta(seconds=gives_up)
            continue
        answered = enq + timedelta(seconds=wait)
        talk = max(20.0, rng.lognormvariate(math.log(TALK_MEAN_S) - 0.18, 0.6))
        acw = rng.uniform(0.4, 1.6) * ACW_MEAN_S
        leg.update(outcome=leg.get("outcome") or LegOutcome.ANSWERED, answered_at=answered, agent_id=agent,
                   ended_at=answered + timedelta(seconds=talk))
        leg["wrapped_at"] = leg["ended_at"] + timedelta(seconds=acw)
        heapq.heappush(free, (leg["wrapped_at"], agent))


def seed_demo(s_factory: Callable[[], Session], days: int = 30, calls: int = 10_000,
              progress: Callable[[int, int], None] | None = None, *, seed: int = 7,
              now: datetime | None = None, timezone: str = "Europe/London",
              flow: Any = None) -> dict[str, int]:
    """Add up to `calls` demo calls spread over the last `days` days (PES time zone), all over
    by `now` (those that would still be going on are left out).

    progress(done, total) is called after each batch of calls is written. Returns row counts
    per table (callers: the demo numbers used, added or already there). Rows are appended (ids
    continue after the existing ones), so it can run twice. Languages, intents and queue labels
    come from `flow` (default: the flow of settings.IVR_FILE), and the report rollups are then
    rebuilt up to `now` with its service-level targets.
    """
    flow = flow or load_flow(settings.IVR_FILE)
    rng, tz = random.Random(seed), ZoneInfo(timezone)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    slots = _slots(days, now, tz)
    picks = rng.choices(range(len(slots)), cum_weights=_cumulative([w for _, w, _ in slots]), k=calls)
    starts = sorted((slots[i][0] + timedelta(seconds=rng.uniform(0, 3599)), slots[i][2]) for i in picks)
    starts = [(t, o) for t, o in starts if t <= now]
    with s_factory() as s:
        ids = _next_ids(s)
        plan = _plan_calls(rng, flow, starts, ids)
        by_queue: dict[str, list[dict[str, Any]]] = {q: [] for q in QUEUES}
        for leg in plan["legs"]:
            by_queue[leg["queue"]].append(leg)
        open_s = sum(3600.0 for _, _, o in slots if o)
        pools = people.advisers(s, flow, ids["users"],
                                _staffing({q: len(v) for q, v in by_queue.items()}, open_s), now)
        _simulate_with_transfers(rng, by_queue, pools, plan, ids)
        _close_the_day(rng, plan, now)
        counts = _write(s, rng, plan, pools, now, progress)
        if s.get_bind().dialect.name == "postgresql":
            for table in ("users", "callers", "calls", "queue_entries", "callbacks", "call_events",
                          "captures", "recordings", "agent_status_changes"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
        s.commit()
        roll_up(s, flow, now, rebuild=True)
        s.commit()
    return counts


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _plan_calls(rng: random.Random, flow: Any, starts: list[tuple[datetime, bool]],
                ids: dict[str, int]) -> dict[str, Any]:
    """Decide each call's path through the IVR and, for queued calls, its first queue leg."""
    # repeat callers: the same numbers come back; no more callers than fictional numbers
    pool = min(people.MAX_CALLERS, max(10, int(len(starts) * 0.55)))
    plan: dict[str, Any] = {"calls": [], "legs": [], "pool": pool, "caller_base": ids["callers"]}
    qnames, qweights = list(QUEUES), [v[0] for v in QUEUES.values()]
    codes, shares = people.languages(flow)
    asking, routes = people.spoken_routes(flow)
    for i, (started, open_) in enumerate(starts):
        call_id = ids["calls"] + i
        lang = rng.choices(codes, shares)[0]
        caller = int(pool * rng.random() ** 1.6)  # a few numbers call often
        r = rng.random()
        call = {"id": call_id, "started_at": started, "language": lang, "caller": caller,
                "queue": None, "reason": None, "said": None, "open": open_}
        if open_ and r < 0.62:
            q = rng.choices(qnames, qweights)[0]
            call.update(queue=q, path=QUEUES[q][1])
            if asking and routes.get(q) and rng.random() < SPOKEN_SHARE:
                intent, node = rng.choice(routes[q])
                call.update(path=(*asking, node), reason=intent, said=people.said(rng, flow, intent, lang))
            enq = started + timedelta(seconds=rng.uniform(25, 150))
            plan["legs"].append({"call_id": call_id, "queue": q, "language": lang,
                                 "intent": call["reason"], "enqueued_at": enq, "priority": 0})
        elif r < (0.90 if open_ else 0.60):
            call.update(path=rng.choice(SELF_SERVICE), outcome=CallOutcome.SELF_SERVICE)
        elif not open_ and r < 0.80:
            call.update(path=("main", "adviser"), outcome=CallOutcome.VOICEMAIL, queue="general")
        elif not open_ and r < 0.88:
            call.update(path=("main", "adviser"), outcome=CallOutcome.CLOSED, queue="general")
        else:
            call.update(path=rng.choice(HANGUP_AT), outcome=CallOutcome.IVR_HANGUP)
        # what they would say in a message, in their words and language
        call["message"] = call["said"] or people.message(rng, flow, lang)
        if "outcome" in call:
            call["ended_at"] = started + timedelta(seconds=rng.uniform(20, 40) * len(call["path"]))
        plan["calls"].append(call)
    return plan


def _simulate_with_transfers(rng: random.Random, by_queue: dict[str, list[dict[str, Any]]],
                             pools: dict[str, list[int]], plan: dict[str, Any], ids: dict[str, int]) -> None:
    """General first: some of its answered calls are transferred into the other two queues."""
    _simulate_queue(rng, by_queue["general"], pools["general"])
    for leg in list(by_queue["general"]):
        if leg.get("answered_at") and rng.random() < 0.05:
            leg["outcome"], leg["transfer"] = LegOutcome.TRANSFERRED, True
            target = rng.choice(["benefits", "employers"])
            new = {"call_id": leg["call_id"], "queue": target, "language": leg["language"],
                   "intent": leg["intent"], "enqueued_at": leg["ended_at"], "priority": 1, "from": leg}
            by_queue[target].append(new)
            plan["legs"].append(new)
    _simulate_queue(rng, by_queue["benefits"], pools["benefits"])
    _simulate_queue(rng, by_queue["employers"], pools["employers"])
    plan["legs"].sort(key=lambda leg: (leg["call_id"], leg["enqueued_at"]))
    for n, leg in enumerate(plan["legs"]):
        leg["id"] = ids["queue_entries"] + n


def _close_the_day(rng: random.Random, plan: dict[str, Any], now: datetime) -> None:
    """Settle each callback asked for, then keep only the calls whose story ended by `now`."""
    ends: dict[int, datetime] = {}
    for leg in plan["legs"]:
        if leg.get("outcome") == LegOutcome.CALLBACK:
            leg["callback"] = plan_callback(rng, leg)
        ends[leg["call_id"]] = max(finished_at(leg), ends.get(leg["call_id"], leg["enqueued_at"]))
    # a queued call ends with its last leg (or its callback); any other has its own end
    done = {c["id"] for c in plan["calls"] if ends.get(c["id"], c.get("ended_at")) <= now}
    plan["calls"] = [c for c in plan["calls"] if c["id"] in done]
    plan["legs"] = [leg for leg in plan["legs"] if leg["call_id"] in done]


def _batches(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _write(s: Session, rng: random.Random, plan: dict[str, Any], pools: dict[str, list[int]],
           now: datetime, progress: Callable[[int, int], None] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    callers = people.callers(s, plan["pool"], plan["caller_base"])
    phones = [people.caller_phone(n) for n in range(len(callers))]
    counts["callers"] = len(callers)
    legs_by_call: dict[int, list[dict[str, Any]]] = {}
    for leg in plan["legs"]:
        legs_by_call.setdefault(leg["call_id"], []).append(leg)
    total, done = len(plan["calls"]), 0
    for chunk in _batches(plan["calls"]):
        rows = call_rows(rng, chunk, legs_by_call, callers, phones, pools)
        for table, table_rows in rows.items():
            if table_rows:
                s.execute(insert(table.__table__), table_rows)
                counts[table.__tablename__] = counts.get(table.__tablename__, 0) + len(table_rows)
        done += len(chunk)
        if progress:
            progress(done, total)
    status_rows, users = leg_rows(plan["legs"], pools, now)
    for chunk in _batches(status_rows, 20_000):
        s.execute(insert(AgentStatusChange.__table__), chunk)
    counts["agent_status_changes"] = len(status_rows)
    for uid, (status, since) in users.items():
        s.execute(User.__table__.update().where(User.id == uid).values(status=status, status_since=since))
    return counts
