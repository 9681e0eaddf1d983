"""The scripted-day helper for the reports tests: calls written as the IVR and the desk write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db import session as db
from db.models import AgentStatusChange, Call, Caller, CallEvent, QueueEntry

# Day D: Monday 23 November 2026. London is on GMT then, so local time = UTC.
D = datetime(2026, 11, 23, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def at(day: datetime, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return day + timedelta(hours=hh, minutes=mm, seconds=ss)


class Script:
    """Writes calls the way the IVR and the desk do, with times given as offsets in seconds."""

    def __init__(self) -> None:
        self.s = db.SessionLocal()
        self.n = 0

    def caller(self, phone: str) -> Caller:
        c = Caller(phone=phone)
        self.s.add(c)
        self.s.flush()
        return c

    def call(self, started: datetime, outcome: str | None, *, caller: Caller | None = None,
             nodes: tuple[str, ...] = ("main",), reason: str | None = None, language: str = "en",
             duration_s: int = 120) -> Call:
        self.n += 1
        call = Call(sid=f"CA{self.n:032x}", caller=caller, started_at=started, outcome=outcome,
                    status="completed" if outcome else "in-progress", node=nodes[-1], reason=reason,
                    language=language, ended_at=started + timedelta(seconds=duration_s) if outcome else None)
        self.s.add(call)
        self.s.flush()
        for k, node in enumerate(nodes):
            self.s.add(CallEvent(call_id=call.id, at=started + timedelta(seconds=5 * (k + 1)), kind="enter",
                                 node=node))
        return call

    def leg(self, call: Call, queue: str, enqueued: datetime, outcome: str | None, *, wait: int,
            agent: int | None = None, talk: int = 0, acw: int = 0, language: str = "en",
            intent: str | None = None, transferred_from: QueueEntry | None = None) -> QueueEntry:
        leg = QueueEntry(call_id=call.id, queue=queue, enqueued_at=enqueued, outcome=outcome,
                         language=language, intent=intent,
                         transferred_from_id=transferred_from.id if transferred_from else None)
        point = enqueued + timedelta(seconds=wait)
        if outcome in ("answered", "transferred"):
            leg.status, leg.answered_at, leg.agent_id = "ended", point, agent
            leg.ended_at = point + timedelta(seconds=talk)
            leg.wrapped_at = leg.ended_at + timedelta(seconds=acw)
        elif outcome is None:
            leg.status = "waiting"
        else:
            leg.status, leg.left_at = "left", point
        self.s.add(leg)
        self.s.flush()
        return leg

    def add(self, *rows: object) -> None:
        self.s.add_all(rows)
        self.s.flush()

    def status(self, user_id: int, *changes: tuple[datetime, str]) -> None:
        self.add(*(AgentStatusChange(user_id=user_id, status=st, at=t) for t, st in changes))

    def done(self) -> None:
        self.s.commit()
        self.s.close()
