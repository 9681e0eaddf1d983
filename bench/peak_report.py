"""bench/peak.py's figures: per step, the webhooks' latency and errors, the calls in progress,
and how far the transcripts lag behind the recordings (Recording.created_at, when the <Record>
action stored it, to finished_at, when the worker stored the transcript)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

from sqlalchemy import create_engine, select

P99_LIMIT_MS = 500.0
LAG_LIMIT_S = 30.0


def wait_ready(line, seconds: float = 180) -> None:
    """Every web node healthy and a worker registered."""
    deadline, health = time.monotonic() + seconds, None
    for port in line.ports:
        while time.monotonic() < deadline:
            try:
                health = json.load(urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5))
            except HTTPError as e:
                health = {"status": e.code}
            except OSError as e:
                health = {"error": str(e)}
            if health.get("ok") and health["workers"]["count"] >= 1:
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"the helpline on port {port} never became healthy: {health}")


def percentile(values: list[float], p: float) -> float:
    data = sorted(values)
    if not data:
        return float("nan")
    return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]


def step_figures(stats, samples, start: float, end: float) -> dict:
    with stats.lock:
        rows = [r for r in stats.rows if start <= r[0] < end]
    hooks = [r for r in rows if r[2] == "webhook"]
    desk = [r for r in rows if r[2] == "desk"]
    seen = [s for at, s in samples if start <= at < end]
    totals = [sum(s.values()) for s in seen] or [0]

    def mean(state: str) -> float:
        return sum(s.get(state, 0) for s in seen) / max(1, len(seen))

    return {"mean": sum(totals) / len(totals), "max": max(totals),
            "split": (mean("ivr"), mean("hold"), mean("talking")),
            "webhooks": len(hooks), "rps": len(hooks) / (end - start),
            "p50": percentile([r[1] for r in hooks], 50), "p99": percentile([r[1] for r in hooks], 99),
            "errors": sum(not r[4] for r in rows if r[2] != "desk"),
            "desk_p99": percentile([r[1] for r in desk], 99)}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def transcripts(database: str, start: float, end: float | None = None) -> tuple[list[float], int, int]:
    """Lags (s) of recordings made between start and end, how many of those are unfinished, and
    how many recordings of the whole run wait for a transcript now."""
    from db.models import Recording

    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Recording.created_at, Recording.finished_at, Recording.status)).all()
    finally:
        engine.dispose()
    waiting = sum(1 for _, finished, _ in rows if finished is None)
    if end is None:
        return [], 0, waiting
    lo, hi = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    made = [(_utc(c), _utc(f)) for c, f, _ in rows if lo <= _utc(c) < hi]
    lags = [(f - c).total_seconds() for c, f in made if f is not None]
    return lags, sum(1 for _, f in made if f is None), waiting


def routes(stats, start: float, end: float, top: int = 6) -> str:
    """The webhooks that cost the most in the window: count, p50 and p99 each."""
    by: dict[str, list[float]] = {}
    with stats.lock:
        for at, ms, kind, route, _ in stats.rows:
            if kind == "webhook" and start <= at < end:
                by.setdefault(route, []).append(ms)
    worst = sorted(by.items(), key=lambda kv: -sum(kv[1]))[:top]
    return "; ".join(f"{r} x{len(v)} p50 {percentile(v, 50):.0f} p99 {percentile(v, 99):.0f} ms"
                     for r, v in worst)


def cpu_seconds(units) -> float:
    """CPU time (user + system) so far of every live process of these units (their session),
    with that of the children they reaped (an RQ worker forks a work horse per job)."""
    from tests.support.topology import _group

    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for unit in units:
        if unit.proc is None:
            continue
        for pid in _group(unit.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(f) for f in fields[11:15]) / tick  # its own, and its reaped children's
    return total


def meets_webhook_rule(f: dict) -> bool:
    return f["p99"] < P99_LIMIT_MS and f["errors"] == 0


def print_step(n: int, f: dict, lag: tuple[list[float], int, int] | None, backlog: tuple[int, int]) -> None:
    if lag is None:
        lag_text, recordings, keeping_up = "(after the run)", "", backlog[1] <= backlog[0] + 5
    else:
        lags, unfinished, _ = lag
        recordings = f"{len(lags) + unfinished}" + (f" ({unfinished} never)" if unfinished else "")
        lag_text = f"{percentile(lags, 50):.1f} / {percentile(lags, 99):.1f}" if lags else "-"
        keeping_up = backlog[1] <= backlog[0] + 5 and not unfinished and (
            not lags or percentile(lags, 99) < LAG_LIMIT_S)
    hooks_ok = meets_webhook_rule(f)
    verdict = "yes" if hooks_ok and keeping_up else (
        "webhooks yes, transcripts no" if hooks_ok else "no")
    ivr, hold, talking = f["split"]
    print(f"| {n} | {f['mean']:.0f} / {f['max']} | {ivr:.0f} / {hold:.0f} / {talking:.0f} | "
          f"{f['webhooks']} | {f['rps']:.1f} | {f['p50']:.0f} | {f['p99']:.0f} | {f['errors']} | "
          f"{f['desk_p99']:.0f} | {recordings} | {lag_text} | {backlog[0]} → {backlog[1]} | "
          f"{verdict} |", flush=True)
