"""The report rollups: additive sums per UTC hour, kept by callcenter/reports/rollups/build.py and read by
callcenter/reports/rollups/read.py (how reports on long periods stay fast; the formulas are in METRICS.md).

A table module of db/models/ like the others, on db.base.Base: the schema is one metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base

# `hour` is the UTC hour in which the call started (METRICS.md: a call belongs to the period in
# which it started; the PES's periods start on whole UTC hours). Dimensions never hold NULL
# ('' instead) so that the primary key covers every row. On SQLite they are WITHOUT ROWID tables:
# the rows are stored in primary-key order, so a period is one contiguous range to read.
ROLLUP_TABLE = {"sqlite_with_rowid": False}


class RollupState(Base):
    """How far the rollups reach: every hour before `rolled_until` is in them (one row, id 1)."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    rolled_until: Mapped[datetime]
    idle_until: Mapped[datetime]  # idle time is rolled up further: status changes are only added
    rolled_at: Mapped[datetime]  # when the job last wrote (true containment needs 24 h more)
    targets: Mapped[dict[str, Any]]  # queue -> service_level_s the 'met' counts were made with


class _LegSums:
    """The queue report's additive sums (queue_metrics.COUNTS) and the adviser's handled sums."""

    offered: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    abandoned: Mapped[int] = mapped_column(default=0)
    short_abandons: Mapped[int] = mapped_column(default=0)
    callbacks: Mapped[int] = mapped_column(default=0)
    voicemails: Mapped[int] = mapped_column(default=0)
    transferred_out: Mapped[int] = mapped_column(default=0)
    met: Mapped[int] = mapped_column(default=0)
    wait_sum: Mapped[float] = mapped_column(Float, default=0.0)
    abandon_sum: Mapped[float] = mapped_column(Float, default=0.0)
    handled: Mapped[int] = mapped_column(default=0)
    talk_sum: Mapped[float] = mapped_column(Float, default=0.0)
    acw_sum: Mapped[float] = mapped_column(Float, default=0.0)
    transfers: Mapped[int] = mapped_column(default=0)


class QueueRollup(_LegSums, Base):
    """Queue legs per call hour, leg hour (charts), queue, language and intent."""

    __tablename__ = "queue_rollups"
    __table_args__ = ROLLUP_TABLE

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    leg_hour: Mapped[datetime] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    intent: Mapped[str] = mapped_column(String(32), primary_key=True)


class AdviserLegRollup(_LegSums, Base):
    """The same sums for the legs an adviser took, per adviser too (the adviser filter)."""

    __tablename__ = "adviser_leg_rollups"
    __table_args__ = (Index("ix_adviser_leg_rollups_agent", "agent_id", "hour"), ROLLUP_TABLE)

    queue: Mapped[str] = mapped_column(String(32), primary_key=True)  # first: the adviser report's filter
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    leg_hour: Mapped[datetime] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    intent: Mapped[str] = mapped_column(String(32), primary_key=True)


class AdviserRollup(Base):
    """Per adviser and hour: sums of the legs handled (by call hour), idle time (by the hour spent)."""

    __tablename__ = "adviser_rollups"
    __table_args__ = ROLLUP_TABLE

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    handled: Mapped[int] = mapped_column(default=0)
    talk_sum: Mapped[float] = mapped_column(Float, default=0.0)
    acw_sum: Mapped[float] = mapped_column(Float, default=0.0)
    transfers: Mapped[int] = mapped_column(default=0)
    idle_s: Mapped[float] = mapped_column(Float, default=0.0)


class IvrRollup(Base):
    """IVR counts per call hour, language and reason; `kind` says what `key`, `n` and `m` are.

    outcome: key = outcome ('' in progress), n = calls, m = truly contained;
    entered: key = node, n = calls that entered it; left: key = node, n = IVR hang-ups there;
    capture: key = field, n = asked, m = captured; recording: n = recordings, m = with text.
    """

    __tablename__ = "ivr_rollups"
    __table_args__ = ROLLUP_TABLE

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # first: reports read one kind
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
    m: Mapped[int] = mapped_column(default=0)
