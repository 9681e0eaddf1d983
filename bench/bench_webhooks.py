"""Webhook throughput and latency for whole calls, against a bare-Flask baseline, same run.

A call = voice -> language (1) -> main menu (2: benefits) -> benefits menu (1: payment dates,
an information message) -> final status callback; every request signed, every step persisted.
Every server: gunicorn, 2 sync workers, on 127.0.0.1; 20 concurrent callers; rounds interleaved
(baseline, Jobline, floor, ceilings, baseline, ...) and the medians reported. The floor is the
real app answering a signed constant menu (bench/floor_app.py); the ceilings are the least any
implementation of the contract can do, with and without Flask (bench/ceiling_app.py). Also the
RSS of the web workers after 10,000 calls.

With --baseline PATH, a checkout of an earlier build (e.g. `git worktree add /tmp/before 3326fd8`)
serves the same calls from its own directory in the same interleaved rounds ("before"), and the
table gives this build's ratio to it round by round (its spread).

    .venv/bin/python bench/bench_webhooks.py [--calls 1500] [--rounds 3] [--db sqlite,postgresql]
        [--baseline PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.request import urlopen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import Result, run, signed_request  # noqa: E402
from db.migrate import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-" + "0" * 20
HOST = "127.0.0.1"
PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(target: str, env: dict[str, str], cwd: Path = ROOT) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(env, PUBLIC_BASE_URL=f"http://{HOST}:{port}")  # as in production (README)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{port}",
         "--log-level", "warning", target], cwd=cwd, env=env)
    for _ in range(200):
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{target} did not start")


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except OSError:
            continue
    return pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_calls(port: int, n: int, steps: list[tuple[str, dict[str, str]]] | None = None) -> list[list[bytes]]:
    calls = []
    for _ in range(n):
        sid = "CA" + uuid.uuid4().hex
        caller = f"+4477009{uuid.uuid4().int % 10**5:05d}"
        base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller,
                "To": "+18005550100", "CallStatus": "in-progress", "Direction": "inbound"}
        calls.append([signed_request(HOST, port, path, {**base, **extra}, TOKEN)
                      for path, extra in steps or STEPS])
    return calls


# The URLs Twilio posts: /ivr/voice as configured, then each <Gather action> of the reply before
# (checked by check_steps), and the status callback.
STEPS = [("/ivr/voice", {}), ("/ivr/language?attempt=0&lang=-", {"Digits": "1"}),
         ("/ivr/node/main/input?attempt=0&lang=en", {"Digits": "2"}),
         ("/ivr/node/benefits/input?attempt=0&lang=en", {"Digits": "1"}),
         ("/ivr/status", {"CallStatus": "completed", "CallDuration": "75"})]
# The floor server gets the same bodies, signed, on its one constant route.
FLOOR_STEPS = [(f"/ivr/floor/{n}", extra) for n, (_, extra) in enumerate(STEPS)]


def check_steps(port: int) -> None:
    """One call, one request at a time: each reply must offer the next step's URL, as Twilio
    would follow it (so the bench measures the path real calls take)."""
    offered = [path for path, _ in STEPS[1:4]] + ["", ""]  # the message ends with a goodbye
    for raw, next_path in zip(make_calls(port, 1)[0], offered, strict=True):
        with socket.create_connection((HOST, port)) as sock:
            sock.sendall(raw)
            reply = b"".join(iter(lambda: sock.recv(65536), b""))
        status = int(reply[9:12])
        if not 200 <= status < 300 or (next_path and next_path.replace("&", "&amp;").encode() not in reply):
            raise SystemExit(f"the flow changed: expected {next_path or 'a reply'}, got {status}:\n"
                             + reply.decode(errors="replace")[-600:])


def database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS jobline_bench_webhooks WITH (FORCE)")
        conn.execute("CREATE DATABASE jobline_bench_webhooks")
    server = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return server + "/jobline_bench_webhooks"


def summary(name: str, results: list[Result]) -> dict[str, float]:
    return {
        "rps": statistics.median(r.rps for r in results),
        "p50": statistics.median(r.percentile(50) for r in results),
        "p99": statistics.median(r.percentile(99) for r in results),
        "errors": sum(r.errors for r in results),
        "requests": sum(r.requests for r in results),
    }


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else ""


def bench(kind: str, calls: int, rounds: int, concurrency: int, rss_calls: int, before: Path | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="jobline-bench-"))
    url = database(kind, tmp)
    upgrade(url)
    env = dict(os.environ, JOBLINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN,
               TWILIO_ACCOUNT_SID="AC" + "0" * 32, SECRET_KEY="bench", DATABASE_URL=url,
               REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"), JOBLINE_INSTANCE=str(tmp))
    servers = {  # name: (gunicorn target, steps, label in the table)
        "baseline": ("bench.baseline_app:app", STEPS, "baseline: bare Flask <Gather><Say>"),
        "jobline": ("run:create_app()", STEPS, "Jobline whole call flow, signed, persisted"),
        "floor": ("bench.floor_app:app", FLOOR_STEPS,
                  "Jobline's floor: a signed constant menu in the real app, no database"),
        "ceiling": ("bench.ceiling_app:app", STEPS,
                    "ceiling: bare Flask, signature checked, one row committed, constant menu"),
        "raw": ("bench.ceiling_app:wsgi", STEPS, "the same ceiling without Flask (a bare WSGI callable)"),
    }
    if before is not None:
        servers["before"] = ("run:create_app()", STEPS, f"before: Jobline's whole call flow from {before}")
    procs = {name: start_gunicorn(target, env, before if name == "before" else ROOT)
             for name, (target, _, _) in servers.items()}
    app_proc, app_port = procs["jobline"]
    try:
        check_steps(app_port)
        if before is not None:
            check_steps(procs["before"][1])
        for name, (_, steps, _) in servers.items():  # warm-up (imports, pools)
            run(HOST, procs[name][1], make_calls(procs[name][1], 100, steps), concurrency)
        results: dict[str, list[Result]] = {name: [] for name in servers}
        for _ in range(rounds):
            for name, (_, steps, _) in servers.items():
                port = procs[name][1]
                results[name].append(run(HOST, port, make_calls(port, calls, steps), concurrency))
        s = {name: summary(name, rs) for name, rs in results.items()}
        print(f"\n## {kind}: {calls} calls x {rounds} rounds ({calls * 5} requests a round), "
              f"{concurrency} concurrent callers, gunicorn 2 sync workers")
        print("| server | requests/s (median) | p50 ms | p99 ms | errors |")
        print("|---|---|---|---|---|")
        for name, (_, _, label) in servers.items():
            r = s[name]
            print(f"| {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |")
        b = s["baseline"]["rps"]
        print(f"| **ratio Jobline / baseline** | **{s['jobline']['rps'] / b:.2f}x** | | | |")
        print(f"| ratio floor / baseline | {s['floor']['rps'] / b:.2f}x | | | |")
        print(f"| ratio ceiling / baseline | {s['ceiling']['rps'] / b:.2f}x | | | |")
        print(f"| ratio ceiling without Flask / baseline | {s['raw']['rps'] / b:.2f}x | | | |")
        # The issue-15 figures: against the Flask ceiling, and against the build before, each with
        # the range of the same ratio taken round by round (its spread).
        def ratio(label: str, a: str, over: str) -> None:
            rounds = [x.rps / y.rps for x, y in zip(results[a], results[over], strict=True)]
            print(f"| {label} | {s[a]['rps'] / s[over]['rps']:.2f}x | rounds {spread(rounds)} | | |")

        ratio("**floor / ceiling**", "floor", "ceiling")
        ratio("**Jobline / ceiling**", "jobline", "ceiling")
        if before is not None:
            ratio("before / ceiling", "before", "ceiling")
            ratio("**Jobline / before**", "jobline", "before")
        sys.stdout.flush()
        done = 100 + calls * rounds
        rss_points = [(done, max(rss_mb(p) for p in worker_pids(app_proc.pid)))]
        while done < rss_calls:
            batch = min(2500, rss_calls - done)
            run(HOST, app_port, make_calls(app_port, batch), concurrency)
            done += batch
            rss_points.append((done, max(rss_mb(p) for p in worker_pids(app_proc.pid))))
        health = urlopen(f"http://{HOST}:{app_port}/healthz", timeout=5).status
        print("Web worker RSS (largest of 2) after N calls: "
              + ", ".join(f"{n}: {mb:.1f} MB" for n, mb in rss_points) + f"; /healthz {health}", flush=True)
    finally:
        for proc, _ in procs.values():
            proc.terminate()
            proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--rss-calls", type=int, default=10_000, help="calls before the last RSS reading")
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier build to run beside this one")
    args = parser.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    for kind in args.db.split(","):
        bench(kind.strip(), args.calls, args.rounds, args.concurrency, args.rss_calls, args.baseline)


if __name__ == "__main__":
    main()
