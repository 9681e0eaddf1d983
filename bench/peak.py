"""Issue 17: a peak hour, played against the deploy/ units, stepped up until the rule breaks.

Callers (bench/peak_callers.py) follow the TwiML as Twilio plays it, in callcenter/demo/seed.py's
proportions (62 % queued, 35 % of them saying why they call: two real recordings transcribed by
a real Vosk model; 28 % self-service; 10 % hang up in the menus), at the pace of what they hear;
callers on hold ask the wait URL as Twilio does, and give up after an exponential patience
(seed-demo's mean, 170 s). Advisers answer through the desk API; talk and after-call work are
compressed (means --talk-s, --acw-s, against seed-demo's 270 s and 50 s): talking calls send no
webhooks, so shorter talk makes the figure conservative. Status and recording callbacks come in
Twilio's order (the simulator, ivr/SIMULATOR.md).

"Simultaneous calls" are calls in progress at once (in the menus, on hold, or talking), sampled
every second. Each step keeps N caller slots busy: a slot dials again after an exponential gap
(mean 2 s) once its call ends; many independent slots make near-Poisson arrivals. A step ramps its
new slots in over 20 s, settles for --settle-s, then is measured for --window-s. The rule per
step: webhook p99 < 500 ms, 0 errors (any non-2xx, unparseable TwiML or call the simulator could
not follow), and transcripts keeping up (no growing backlog, p99 lag < 30 s).

    .venv/bin/python bench/peak.py [--db sqlite|postgres] [--web-nodes 1|2] [--steps 100,200,400]
        [--window-s 60] [--settle-s 30] [--speed 1] [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.peak_advisers import Adviser  # noqa: E402
from bench.peak_callers import Balanced, Caller, Plan, Stats, recording_publisher  # noqa: E402
from bench.peak_report import (  # noqa: E402
    cpu_seconds,
    meets_webhook_rule,
    print_step,
    routes,
    step_figures,
    transcripts,
    wait_ready,
)
from bench.peak_services import PASSWORD, Helpline, adviser_phone  # noqa: E402
from tests.support.env import ACCOUNT, TOKEN  # noqa: E402

LANGUAGE_KEYS, LANGUAGE_SHARES = ["1", "2", "3", "4"], [0.62, 0.22, 0.08, 0.08]  # seed-demo's people.py


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class Peak:
    def __init__(self, line: Helpline, args: argparse.Namespace) -> None:
        self.line, self.args = line, args
        self.stats, self.stop = Stats(), threading.Event()
        self.transport = Balanced(line.public, line.ports, self.stats)
        self.advisers: dict[str, object] = {}
        self.duty: list[threading.Event] = []
        self.samples: list[tuple[float, dict[str, int]]] = []
        self.publish = recording_publisher(line.media, line.audio)
        self.slots = 0
        self.cpu: dict[int, tuple[float, float]] = {}  # step -> cores busy: web nodes, worker
        self.backlog: dict[int, tuple[int, int]] = {}  # step -> recordings untranscribed: start, end

    def staff(self, names: list[str], need: int) -> None:
        """`need` advisers on duty: the ones not yet signed in sign in now (before the step's
        window), the rest go on a break."""
        def sign_in(n: int) -> Adviser:
            port = self.line.ports[n % len(self.line.ports)]
            return Adviser(f"http://127.0.0.1:{port}", names[n], PASSWORD, self.stats, self.args.speed,
                           self.args.acw_s)

        with ThreadPoolExecutor(4) as pool:
            desks = list(pool.map(sign_in, range(len(self.duty), min(need, len(names)))))
        for adviser in desks:
            self.advisers[adviser_phone(len(self.duty))] = adviser.ended
            duty = threading.Event()
            self.duty.append(duty)
            threading.Thread(target=adviser.work, args=(duty, self.stop), daemon=True).start()
        for i, duty in enumerate(self.duty):
            duty.set() if i < need else duty.clear()

    def slot(self, delay: float) -> None:
        rng = random.Random()
        self.stop.wait(delay)
        while not self.stop.is_set():
            plan = Plan.draw(rng, LANGUAGE_KEYS, LANGUAGE_SHARES)
            Caller(self.transport, TOKEN, ACCOUNT, self.line.rest.mailbox, self.advisers, self.stats, plan,
                   self.args.speed, self.args.patience_s, self.args.talk_s, self.publish).run()
            self.stop.wait(rng.expovariate(1 / 2.0) / self.args.speed)

    def sample(self) -> None:
        while not self.stop.wait(1):
            with self.stats.lock:
                self.samples.append((time.time(), dict(self.stats.calls)))

    def step(self, n: int, names: list[str]) -> tuple[float, float]:
        self.staff(names, math.ceil(n * self.args.advisers_per_call))
        for _ in range(n - self.slots):
            delay = random.uniform(0, self.args.ramp_s)
            threading.Thread(target=self.slot, args=(delay,), daemon=True).start()
        self.slots = max(self.slots, n)
        time.sleep(self.args.ramp_s + self.args.settle_s)
        start, web, worker = time.time(), cpu_seconds(self.line.webs), cpu_seconds(self.line.workers)
        before = transcripts(self.line.database, start)[2]
        time.sleep(self.args.window_s)
        end = time.time()
        self.backlog[n] = (before, transcripts(self.line.database, end)[2])
        self.cpu[n] = ((cpu_seconds(self.line.webs) - web) / (end - start),
                       (cpu_seconds(self.line.workers) - worker) / (end - start))
        return start, end


def run(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"load before: {uptime()}", flush=True)
    t0 = time.monotonic()
    line = Helpline(args.db, args.web_nodes)
    try:
        wait_ready(line)
        print(f"(started in {time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
        steps = [int(s) for s in args.steps.split(",")]
        names = line.advisers(math.ceil(max(steps) * args.advisers_per_call))
        peak = Peak(line, args)
        threading.Thread(target=peak.sample, daemon=True).start()
        nodes = "two ports taken in turn by the client" if args.web_nodes > 1 else "one port"
        print(f"\n## {args.db}, {args.web_nodes} web node(s) (gunicorn as deploy/jobline-web@.service: "
              f"WEB_WORKERS=2, gthread x16; {nodes}), 1 RQ worker, talk {args.talk_s:g} s, "
              f"ACW {args.acw_s:g} s, speed x{args.speed:g}")
        print("| offered | simultaneous calls (mean / max) | in menus / on hold / talking | webhooks | "
              "req/s | p50 ms | p99 ms | errors | desk p99 ms | recordings | transcript lag p50 / p99 s | "
              "backlog start → end | meets the rule |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
        windows = []
        for n in steps:
            start, end = peak.step(n, names)
            backlog = peak.backlog[n]
            windows.append((n, start, end, backlog))
            figures = step_figures(peak.stats, peak.samples, start, end)
            print_step(n, figures, None, backlog)
            web, worker = peak.cpu[n]
            print(f"<!-- {n}: web nodes {web:.2f} cores ({web / max(1, figures['mean']) * 1000:.1f} ms CPU a "
                  f"second per call), worker {worker:.2f} cores; {routes(peak.stats, start, end)} -->",
                  file=sys.stderr, flush=True)
            if not meets_webhook_rule(figures) and not args.all_steps:
                break  # more callers would only fail further
        peak.stop.set()
        drain = time.monotonic() + (20 if args.quick else 60)
        while transcripts(line.database, 0)[2] and time.monotonic() < drain:
            time.sleep(1)
        print("\nTranscript lag per window, after the run drained (recordings made in the window):")
        for n, start, end, backlog in windows:
            figures = step_figures(peak.stats, peak.samples, start, end)
            print_step(n, figures, transcripts(line.database, start, end), backlog)
        print(f"\ncall outcomes: {dict(peak.stats.outcomes)}")
        for failure in peak.stats.failures[:10]:
            print(f"failure: {failure}")
    finally:
        line.close()
        print(f"load after: {uptime()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--web-nodes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--steps", default="100,200,400,700,1000,1400,2000")
    parser.add_argument("--window-s", type=float, default=60)
    parser.add_argument("--settle-s", type=float, default=30)
    parser.add_argument("--speed", type=float, default=1.0,
                        help="time compression of every pause (1: real time)")
    parser.add_argument("--talk-s", type=float, default=60)
    parser.add_argument("--acw-s", type=float, default=15)
    parser.add_argument("--patience-s", type=float, default=170)
    parser.add_argument("--advisers-per-call", type=float, default=0.2)
    parser.add_argument("--all-steps", action="store_true", help="go on after a step broke the rule")
    parser.add_argument("--ramp-s", type=float, default=20, help="a step's new callers dial within this")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 30 calls, one 15 s window")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.window_s, args.settle_s, args.ramp_s = "30", 15, 5, 5
    run(args)


if __name__ == "__main__":
    main()
