"""How fast are the reports and the wallboard as traffic grows? And does a 1M-row CSV stay flat?

    .venv/bin/python bench/bench_reports.py                       # 10k and 100k, SQLite + PostgreSQL
    .venv/bin/python bench/bench_reports.py --sizes 10000,100000,1000000 --runs 5
    .venv/bin/python bench/bench_reports.py --reuse               # keep databases seeded earlier

For each backend and size: a fresh database (SQLite file under --dir; PostgreSQL database
jobline_bench_<n> created from --pg-admin), `seed_demo` over 30 days (which builds the report
rollups; a database seeded before rollups existed has them built here, timed as "build"), then
for the 30-day range: each report as a first visit ("first": the first time it runs in this
process, nothing kept anywhere but the database) and later visits ("later", median of --runs),
through the rollups plus the live query of the unsettled hours, as the pages compute it; the
same report straight from the raw rows ("raw", --raw-runs times, 0 to skip); the wallboard
query; one run of the timed rollup job (its 48-hour recheck); and the call-record CSV streamed
to /dev/null in a child process, its peak RSS against the same process's peak before the
export. `cpu ref` is a fixed pure-Python loop timed in the same run: read figures against it.
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

from callcenter.demo.seed import seed_demo  # noqa: E402
from callcenter.reports.agent_metrics import agent_report  # noqa: E402
from callcenter.reports.ivr_metrics import ivr_report  # noqa: E402
from callcenter.reports.metrics import parse_filters  # noqa: E402
from callcenter.reports.queue_metrics import queue_report  # noqa: E402
from callcenter.reports.rollups.build import roll_up  # noqa: E402
from callcenter.reports.wallboard import floor  # noqa: E402
from config import settings  # noqa: E402
from config.flow import load_flow  # noqa: E402
from db import session as db  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Call  # noqa: E402
from db.models.rollups import RollupState  # noqa: E402

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


def seed(url: str, n: int, flow: Any) -> tuple[float, float, int]:
    """Seed (unless seeded earlier) and build the rollups if missing: (seed s, build s, calls)."""
    upgrade(url)
    db.configure(url)
    with db.SessionLocal() as s:
        have = s.scalar(select(func.count()).select_from(Call))
        rolled = s.get(RollupState, 1) is not None
    seconds = build = 0.0
    if not have:
        start, last = time.perf_counter(), [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 10:
                last[0] = time.perf_counter()
                print(f"    seeding {done:,}/{total:,}", flush=True)

        have = seed_demo(db.SessionLocal, days=30, calls=n, progress=progress, seed=7, now=NOW, timezone=TZ,
                         flow=flow)["calls"]
        seconds = time.perf_counter() - start
    elif not rolled:  # seeded before the rollups existed: build them as seed-demo now does
        start = time.perf_counter()
        with db.SessionLocal.begin() as s:
            roll_up(s, flow, NOW, rebuild=True)
        build = time.perf_counter() - start
    with db.engine().begin() as conn:  # fresh planner statistics, as after any bulk load
        conn.execute(text("ANALYZE"))
    return seconds, build, have


def export_rss(url: str) -> dict[str, Any]:
    child = subprocess.run([sys.executable, str(Path(__file__).with_name("bench_export.py")), url,
                            (NOW - timedelta(days=29)).date().isoformat(), NOW.date().isoformat()],
                           capture_output=True, text=True, check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def bench_one(backend: str, n: int, args: argparse.Namespace, flow: Any) -> dict[str, Any]:
    url = database(backend, n, args)
    seconds, build, calls = seed(url, n, flow)
    db.engine().dispose()  # the visits below start on new connections
    f = parse_filters({"from": (NOW - timedelta(days=29)).date().isoformat(), "to": NOW.date().isoformat()},
                      TZ, NOW.date())
    out: dict[str, Any] = {"backend": backend, "calls": calls, "seed_s": round(seconds, 1),
                           "build_s": round(build, 1), "reference_ms": reference_ms()}
    with db.SessionLocal() as s:
        reports = {"queue": lambda rollups: queue_report(s, f, flow, NOW, rollups),
                   "advisers": lambda rollups: agent_report(s, f, NOW, rollups),
                   "ivr": lambda rollups: ivr_report(s, f, NOW, rollups)}
        for name, run in reports.items():
            out[f"{name}_first_ms"] = median_ms(lambda run=run: run(True), 1)
            out[f"{name}_later_ms"] = median_ms(lambda run=run: run(True), args.runs)
            out[f"{name}_raw_ms"] = (median_ms(lambda run=run: run(False), args.raw_runs) if args.raw_runs
                                     else None)
        out["wallboard_ms"] = median_ms(lambda: floor(s, flow, NOW), args.runs)
    start = time.perf_counter()
    with db.SessionLocal.begin() as s:
        roll_up(s, flow, NOW)
    out["job_s"] = time.perf_counter() - start
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
    parser.add_argument("--raw-runs", type=int, default=1, help="runs of each report straight from raw rows")
    parser.add_argument("--reuse", action="store_true", help="keep databases already seeded")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    flow = load_flow(settings.IVR_FILE)
    print(f"machine: {platform.node()} {platform.machine()}, {platform.python_version()}, "
          f"cpus={__import__('os').cpu_count()}; command: {' '.join(sys.argv)}")
    print("30-day range, ms. first = first visit; later = median of later visits (rollups + live hours); "
          "raw = straight from the raw rows; wallboard = one poll; job = one run of the rollup job.")
    header = ("backend", "calls", "seed_s", "build_s", "cpu ref ms", "queue first/later/raw",
              "advisers first/later/raw", "ivr first/later/raw", "wallboard", "job s", "csv rows", "csv s",
              "rss MB base->peak")
    print(" | ".join(header))
    for backend in args.backends.split(","):
        for n in (int(x) for x in args.sizes.split(",")):
            r = bench_one(backend, n, args, flow)
            cells = [r["backend"], f"{r['calls']:,}", str(r["seed_s"]), str(r["build_s"]),
                     f"{r['reference_ms']:.0f}"]
            for name in ("queue", "advisers", "ivr"):
                first, later, raw = (r[f"{name}_{k}_ms"] for k in ("first", "later", "raw"))
                cells.append(f"{first:.0f}/{later:.0f}/" + (f"{raw:.0f}" if raw is not None else "-"))
            cells += [f"{r['wallboard_ms']:.1f}", f"{r['job_s']:.1f}"]
            e = r.get("export")
            cells += ([f"{e['rows']:,}", f"{e['seconds']:.1f}", f"{e['base_mb']:.0f}->{e['peak_mb']:.0f}"]
                      if e else ["-", "-", "-"])
            print(" | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
