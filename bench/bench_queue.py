"""Queue benchmarks: atomic claims, and the hold loop (Twilio's waitUrl) under 500 callers on hold.

1. Claims: 20 advisers (threads, a session each) claim from a line of 1,000 callers until it is
   empty; claims per second, and double claims / lost callers (both must be 0).
2. Wait URL: 500 callers on hold, each polling /ivr/queue/hold/<leg> (signed, as Twilio signs)
   every --interval seconds (Twilio's real pace is one poll per ~46 s: 36 s of hold music plus
   the announcements; the default 15 s is 3x that), --polls times each; p50/p99 latency
   measured from the send.
   Same-run baseline: bench/baseline_app.py (a bare Flask endpoint returning constant TwiML)
   under the same gunicorn (2 sync workers) and the same load. Target: p99 < 50 ms.

    .venv/bin/python bench/bench_queue.py [--db sqlite,postgresql] [--polls 4] [--interval 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_webhooks import HOST, PG_ADMIN, free_port, start_gunicorn  # noqa: E402
from bench.load import Result, signed_request  # noqa: E402
from db import session as db  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Call, QueueEntry, User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-" + "0" * 20
del free_port  # gunicorn picks its own port through start_gunicorn


def database(kind: str, tmp: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{name}.db'}"
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def seed(url: str, waiting: int, advisers: int, history: int = 200) -> list[int]:
    """A line of `waiting` callers, advisers on duty, and past conversations for handle time."""
    db.configure(url)
    now = datetime.now(UTC)
    with db.SessionLocal.begin() as s:
        s.add_all(User(username=f"bench{i}", name=f"Bench {i}", password_hash="x", queues=["general"],
                       languages=["en"], status="available") for i in range(advisers))
        calls = [Call(sid=f"CA{i:032x}", language="en", started_at=now) for i in range(waiting + history)]
        s.add_all(calls)
        s.flush()
        for i, call in enumerate(calls[waiting:]):
            start = now - timedelta(hours=2, minutes=i % 60)
            s.add(QueueEntry(call_id=call.id, queue="general", language="en", status="ended",
                             outcome="answered", enqueued_at=start, answered_at=start,
                             ended_at=start + timedelta(seconds=240 + i % 120)))
        line = [QueueEntry(call_id=c.id, queue="general", language="en", status="waiting",
                           enqueued_at=now - timedelta(seconds=600) + timedelta(seconds=i))
                for i, c in enumerate(calls[:waiting])]
        s.add_all(line)
        s.flush()
        return [e.id for e in line]


# -- 1. claims ---------------------------------------------------------------------------------

def bench_claims(kind: str, tmp: Path, callers: int = 1000, advisers: int = 20) -> None:
    from callcenter.routing import claims

    url = database(kind, tmp, "jobline_bench_claims")
    upgrade(url)
    line = seed(url, callers, advisers, history=0)
    with db.SessionLocal() as s:
        ids = list(s.scalars(db_select_user_ids()))
    claimed: list[tuple[int, int]] = []
    lock, start = threading.Lock(), threading.Barrier(advisers + 1)
    now = datetime.now(UTC)

    def desk(agent_id: int) -> None:
        with db.SessionLocal() as s:
            agent = s.get(User, agent_id)
            s.commit()
            start.wait()
            while (entry := claims.claim_next(s, agent, now)) is not None:
                s.commit()
                with lock:
                    claimed.append((agent_id, entry.id))
            s.rollback()

    threads = [threading.Thread(target=desk, args=(a,)) for a in ids]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    got = [e for _, e in claimed]
    print(f"| {kind} | {advisers} | {callers} | {len(got) / seconds:.0f} | "
          f"{len(got) - len(set(got))} | {len(set(line) - set(got))} |", flush=True)


def db_select_user_ids():
    from sqlalchemy import select

    return select(User.id).order_by(User.id)


# -- 2. the wait URL ---------------------------------------------------------------------------

async def _send(raw: bytes, port: int) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(raw)
    await writer.drain()
    data = await reader.read()
    writer.close()
    return (int(data[9:12]) if data.startswith(b"HTTP/") else 0), data


async def _on_hold(raws: list[bytes], port: int, interval: float, offset: float, expect: bytes,
                   result: Result) -> None:
    await asyncio.sleep(offset)  # callers joined at different moments: spread over one interval
    for raw in raws:
        t0 = time.perf_counter()
        try:
            status, body = await _send(raw, port)
        except OSError:
            status, body = 0, b""
        result.latencies_ms.append((time.perf_counter() - t0) * 1000)
        result.requests += 1
        if status != 200 or expect not in body:
            result.errors += 1
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))


def poll(port: int, legs: list[int], polls: int, interval: float, expect: bytes) -> Result:
    result = Result()
    requests = [[signed_request(HOST, port, f"/ivr/queue/hold/{leg}",
                                {"CallSid": f"CA{leg:032x}", "AccountSid": "AC" + "0" * 32,
                                 "QueueSid": "QU" + "0" * 32, "QueueTime": "30", "QueuePosition": "1",
                                 "CallStatus": "in-progress"}, TOKEN)] * polls for leg in legs]

    async def main() -> None:
        await asyncio.gather(*(_on_hold(raws, port, interval, interval * i / len(legs), expect, result)
                               for i, raws in enumerate(requests)))

    t0 = time.perf_counter()
    asyncio.run(main())
    result.seconds = time.perf_counter() - t0
    return result


def always_open_flow(tmp: Path) -> Path:
    """The shipped flow with advisers on duty round the clock, so the hold loop's normal path runs."""
    raw = yaml.safe_load((ROOT / "config" / "ivr.yaml").read_text(encoding="utf-8"))
    raw["hours"]["weekly"] = {day: "00:00-23:59" for day in raw["hours"]["weekly"]}
    raw["hours"]["holidays"] = []
    path = tmp / "ivr.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def bench_wait_url(kind: str, tmp: Path, callers: int, polls: int, interval: float) -> None:
    url = database(kind, tmp, "jobline_bench_hold")
    upgrade(url)
    legs = seed(url, callers, advisers=10)
    env = dict(os.environ, JOBLINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN,
               TWILIO_ACCOUNT_SID="AC" + "0" * 32, SECRET_KEY="bench", DATABASE_URL=url,
               REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
               JOBLINE_INSTANCE=str(tmp), JOBLINE_IVR_FILE=str(always_open_flow(tmp)))
    base_proc, base_port = start_gunicorn("bench.baseline_app:app", env)
    app_proc, app_port = start_gunicorn("run:create_app()", env)
    try:
        poll(app_port, legs[:50], 2, 0.5, b"<Gather")  # warm-up: imports, pools, stats cache
        poll(base_port, legs[:50], 2, 0.5, b"<Say")
        alone = [poll(port, legs[:1], 200, 0.0, expect)
                 for port, expect in ((base_port, b"<Say"), (app_port, b"in line"))]
        print(f"| {kind} | one caller at a time (service time), baseline / Jobline | 400 | | "
              f"{alone[0].percentile(50):.1f} / {alone[1].percentile(50):.1f} | "
              f"{alone[0].percentile(99):.1f} / {alone[1].percentile(99):.1f} | | |", flush=True)
        base = poll(base_port, legs, polls, interval, b"<Say")
        hold = poll(app_port, legs, polls, interval, b"in line")
        for name, r in (("baseline: bare Flask, constant <Gather><Say>", base),
                        ("Jobline hold loop (signed, position + expected wait)", hold)):
            print(f"| {kind} | {name} | {r.requests} | {r.rps:.0f} | {r.percentile(50):.1f} | "
                  f"{r.percentile(99):.1f} | {max(r.latencies_ms):.1f} | {r.errors} |", flush=True)
        print(f"| {kind} | **p99 Jobline / baseline** | | | | "
              f"**{hold.percentile(99) / base.percentile(99):.2f}x** | | |", flush=True)
    finally:
        for proc in (base_proc, app_proc):
            proc.terminate()
            proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--polls", type=int, default=4)
    parser.add_argument("--interval", type=float, default=15.0)
    args = parser.parse_args()
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"load average at start (other work on this shared machine): {os.getloadavg()[0]:.1f}")
    kinds = [k.strip() for k in args.db.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="jobline-bench-queue-"))
    print("\n## Claims: advisers claiming at once until the line is empty")
    print("| database | advisers | callers | claims/s | double claims | callers lost |")
    print("|---|---|---|---|---|---|")
    for kind in kinds:
        bench_claims(kind, tmp)
    print(f"\n## Wait URL: {args.callers} callers on hold, each polling every {args.interval:g} s, "
          f"{args.polls} polls each; gunicorn 2 sync workers on {HOST}")
    print("| database | server | requests | req/s | p50 ms | p99 ms | max ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        bench_wait_url(kind, tmp, args.callers, args.polls, args.interval)


if __name__ == "__main__":
    main()
