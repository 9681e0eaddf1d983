"""How fast are the reports and the wallboard as traffic grows? And does a 1M-row CSV stay flat?

    .venv/bin/python bench/bench_reports.py                       # 10k and 100k, SQLite + PostgreSQL
    .venv/bin/python bench/bench_reports.py --sizes 10000,100000,1000000 --runs 5
    .venv/bin/python bench/bench_reports.py --reuse               # keep databases seeded earlier

For each backend and size: a fresh database (SQLite file under --dir; PostgreSQL database
jobline_bench_<n> created from --pg-admin), `seed_demo` over 30 days, then for the 30-day range:
each report computed straight from SQL ("sql", what a first visit costs), computed through the
day cache once ("fill") and again ("cached", what every later visit costs); the wallboard query;
the EXPLAIN of the queue query; and the call-record CSV streamed to /dev/null in a child process,
its peak RSS against the same process's peak before the export. Figures are medians of --runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from callcenter.agent_metrics import agent_report  # noqa: E402
from callcenter.demo import seed_demo  # noqa: E402
from callcenter.ivr_metrics import ivr_report  # noqa: E402
from callcenter.metrics import parse_filters  # noqa: E402
from callcenter.queue_metrics import leg_query, queue_report  # noqa: E402
from callcenter.report_cache import DayCache  # noqa: E402
from callcenter.wallboard import floor  # noqa: E402
from config import settings  # noqa: E402
from config.flow import load_flow  # noqa: E402
from db import session as db  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Call  # noqa: E402

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # fixed, so seeded databases can be reused
TZ = "Europe/London"


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def reference_ms() -> float:
    """A fixed pure-Python workload (about 15 ms on an idle core of this machine kind): printed
    beside each line, as the machine is shared and noisy, so figures can be read as ratios."""
    return median_ms(lambda: sum(range(1_000_000)), 7)


def database(backend: str, n: int, args: argparse.Namespace) -> str:
    if backend == "sqlite":
        path = Path(args.dir) / f"jobline_bench_{n}.db"
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    name = f"jobline_bench_{n}"
    with psycopg.connect(args.pg_admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not (args.reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return args.pg_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def seed(url: str, n: int) -> tuple[float, int]:
    upgrade(url)
    db.configure(url)
    with db.SessionLocal() as s:
        have = s.scalar(select(func.count()).select_from(Call))
    if have:  # seeded earlier (--reuse): fresh planner statistics all the same
        with db.engine().begin() as conn:
            conn.execute(text("ANALYZE"))
        return 0.0, have
    start, last = time.perf_counter(), [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"    seeding {done:,}/{total:,}", flush=True)

    counts = seed_demo(db.SessionLocal, days=30, calls=n, progress=progress, seed=7, now=NOW, timezone=TZ)
    with db.engine().begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - start, counts["calls"]


def explain(url: str, f: Any, flow: Any) -> str:
    """The database's plan for the queue report's GROUP BY (indexes used or not)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql.dialect() if url.startswith("postgresql") else sqlite.dialect()
    sql = str(leg_query(f, flow).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN" if url.startswith("postgresql") else "EXPLAIN QUERY PLAN"
    with db.engine().connect() as conn:
        rows = conn.execute(text(f"{prefix} {sql}")).all()
    return "\n".join("      " + " ".join(str(c) for c in r) for r in rows)


def export_rss(url: str) -> dict[str, Any]:
    child = subprocess.run([sys.executable, str(Path(__file__).with_name("bench_export.py")), url,
                            (NOW - timedelta(days=29)).date().isoformat(), NOW.date().isoformat()],
                           capture_output=True, text=True, check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def bench_one(backend: str, n: int, args: argparse.Namespace, flow: Any, redis: Any) -> dict[str, Any]:
    url = database(backend, n, args)
    seconds, calls = seed(url, n)
    f = parse_filters({"from": (NOW - timedelta(days=29)).date().isoformat(), "to": NOW.date().isoformat()},
                      TZ, NOW.date())
    out: dict[str, Any] = {"backend": backend, "calls": calls, "seed_s": round(seconds, 1),
                           "reference_ms": reference_ms()}
    redis.flushdb()
    with db.SessionLocal() as s:
        reports = {"queue": lambda c: queue_report(s, f, flow, c),
                   "advisers": lambda c: agent_report(s, f, NOW, c),
                   "ivr": lambda c: ivr_report(s, f, c)}
        for name, run in reports.items():
            out[f"{name}_sql_ms"] = median_ms(lambda run=run: run(None), args.runs)
            start = time.perf_counter()
            run(DayCache(redis, NOW))
            out[f"{name}_fill_ms"] = (time.perf_counter() - start) * 1000
            out[f"{name}_cached_ms"] = median_ms(lambda run=run: run(DayCache(redis, NOW)), args.runs)
        out["wallboard_ms"] = median_ms(lambda: floor(s, flow, NOW), args.runs)
    out["plan"] = explain(url, f, flow)
    if not args.no_export:
        out["export"] = export_rss(url)
    db.engine().dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--reuse", action="store_true", help="keep databases already seeded")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    from redis import Redis

    redis = Redis.from_url(args.redis)
    flow = load_flow(settings.IVR_FILE)
    print(f"machine: {platform.node()} {platform.machine()}, {platform.python_version()}, "
          f"cpus={__import__('os').cpu_count()}; command: {' '.join(sys.argv)}")
    print("30-day range; ms are medians. sql = straight from the database; fill = first visit through "
          "the day cache; cached = every later visit; wallboard = one poll.")
    header = ("backend", "calls", "seed_s", "cpu ref ms", "queue sql/fill/cached", "advisers sql/fill/cached",
              "ivr sql/fill/cached", "wallboard", "csv rows", "csv s", "rss MB base->peak")
    print(" | ".join(header))
    for backend in args.backends.split(","):
        for n in (int(x) for x in args.sizes.split(",")):
            r = bench_one(backend, n, args, flow, redis)
            cells = [r["backend"], f"{r['calls']:,}", str(r["seed_s"]), f"{r['reference_ms']:.0f}"]
            for name in ("queue", "advisers", "ivr"):
                sql, fill, cached = (r[f"{name}_{k}_ms"] for k in ("sql", "fill", "cached"))
                cells.append(f"{sql:.0f}/{fill:.0f}/{cached:.1f}")
            cells.append(f"{r['wallboard_ms']:.1f}")
            e = r.get("export")
            cells += ([f"{e['rows']:,}", f"{e['seconds']:.1f}", f"{e['base_mb']:.0f}->{e['peak_mb']:.0f}"]
                      if e else ["-", "-", "-"])
            print(" | ".join(cells), flush=True)
            print("    queue query plan:\n" + r["plan"], flush=True)


if __name__ == "__main__":
    main()
