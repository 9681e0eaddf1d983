"""What bench/peak.py runs against: the deploy/ units (gunicorn web nodes, an RQ worker) started
as tests/support/topology.py starts them, a redis-server of its own, a fresh database (an SQLite
file, or a throwaway PostgreSQL database dropped afterwards), Twilio's API host played on
loopback (recordings to fetch, and the REST redirects of answered callers handed to the bench's
callers), and adviser accounts."""

from __future__ import annotations

import os
import queue
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import uuid
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.env import ACCOUNT, CALLER_ID, ROOT, TOKEN  # noqa: E402
from tests.support.recordings import RecordingServer, speech_wav  # noqa: E402
from tests.support.topology import RedisServer, Unit, env_file, free_port  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
API_HOST = "api.twilio.com"
PASSWORD = "peak-hour-bench-passphrase"


def adviser_phone(n: int) -> str:
    """The n-th adviser's phone (Ofcom's drama range, +44 7700 900000-999999)."""
    return f"+4477009{n:05d}"


class TwilioRest:
    """api.twilio.com for the web nodes (HTTPS_PROXY + REQUESTS_CA_BUNDLE, as the multi-node test's
    TwilioProxy): a call update with `Url` is a REST redirect, handed to that call's mailbox, as
    Twilio makes the live call "immediately change the TwiML it's using"
    (https://www.twilio.com/docs/guides/how-to-modify-calls-in-progress-in-python); with
    `Status=completed` it ends the call."""

    def __init__(self, folder: Path) -> None:
        self.cert, key = folder / "api-twilio.pem", folder / "api-twilio.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={API_HOST}", "-addext", f"subjectAltName=DNS:{API_HOST}",
                        "-keyout", str(key), "-out", str(self.cert)], check=True, capture_output=True)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(self.cert, key)
        self.mailboxes: dict[str, queue.Queue[dict[str, str]]] = {}
        rest = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if not self.rfile.readline().startswith(f"CONNECT {API_HOST}:443 ".encode()):
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                while self.rfile.readline().strip():
                    pass
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                with tls.wrap_socket(self.connection, server_side=True) as conn, conn.makefile("rwb") as io:
                    method, path, _ = io.readline().decode().split(" ", 2)
                    length = 0
                    while (line := io.readline().decode().strip()):
                        name, _, value = line.partition(":")
                        length = int(value) if name.lower() == "content-length" else length
                    form = {k: v[0] for k, v in parse_qs(io.read(length).decode()).items()}
                    reply = rest.answer(method, path.split("?")[0], form)
                    io.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             f"{len(reply)}\r\nConnection: close\r\n\r\n".encode() + reply)
                    io.flush()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def mailbox(self, sid: str) -> queue.Queue[dict[str, str]]:
        return self.mailboxes.setdefault(sid, queue.Queue())

    def answer(self, method: str, path: str, form: dict[str, str]) -> bytes:
        sid = path.rsplit("/", 1)[-1].removesuffix(".json")
        if method == "POST" and "/Calls/" in path:
            self.mailbox(sid).put(form)
        elif "/Calls" in path:
            sid = "CA" + uuid.uuid4().hex  # a call placed (a callback): never answered here
        return (b'{"sid": "%s", "account_sid": "%s", "status": "in-progress"}'
                % (sid.encode(), ACCOUNT.encode()))


def database(kind: str, folder: Path, name: str) -> tuple[str, object]:
    """A fresh database and what drops it."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'peak.db'}", lambda: None
    import psycopg

    def admin(sql: str) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    return url, lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def peak_flow(folder: Path) -> Path:
    """The shipped flow, open round the clock (advisers on duty whatever the hour), and queues as
    large as Twilio's (5000: a PES sized for its peak raises max_size; README, "queues")."""
    flow = yaml.safe_load((ROOT / "config" / "ivr.yaml").read_text(encoding="utf-8"))
    flow["hours"]["weekly"] = {day: "00:00-23:59" for day in flow["hours"]["weekly"]}
    flow["hours"]["holidays"] = []
    for q in flow["queues"].values():
        q["max_size"] = 5000
    text = yaml.safe_dump(flow, allow_unicode=True, sort_keys=False)
    (folder / "ivr.yaml").write_text(text, encoding="utf-8")
    (folder / "audio").symlink_to(ROOT / "config" / "audio")
    return folder / "ivr.yaml"


class Helpline:
    """Everything started, in order, and stopped in reverse by close()."""

    def __init__(self, kind: str, web_nodes: int, workers: int = 1) -> None:
        self.stack = ExitStack()
        self.folder = Path(tempfile.mkdtemp(prefix="jobline-peak-"))
        try:
            self._start(kind, web_nodes, workers)
        except BaseException:
            self.stack.close()
            raise

    def _start(self, kind: str, web_nodes: int, workers: int) -> None:
        folder = self.folder
        self.database, drop = database(kind, folder, f"jobline_peak_{os.getpid()}")
        self.stack.callback(drop)
        (folder / "redis").mkdir()
        redis = RedisServer(folder / "redis")
        self.stack.callback(redis.stop)
        redis.start()
        self.media = RecordingServer()
        self.stack.callback(self.media.server.shutdown)
        self.rest = TwilioRest(folder)
        self.stack.callback(self.rest.server.shutdown)
        self.ports = [free_port() for _ in range(web_nodes)]
        self.public = f"http://127.0.0.1:{self.ports[0]}"  # every node signs against this one
        from speech import registry

        korean = registry.find_source("ko", Path("/nonexistent"))
        env = env_file({
            "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "k" * 64,
            "TWILIO_API_BASE": f"http://127.0.0.1:{self.media.server.server_port}",
            "PUBLIC_BASE_URL": self.public, "TRUSTED_PROXIES": "0", "DATABASE_URL": self.database,
            "REDIS_URL": redis.url, "JOBLINE_INSTANCE": str(folder / "instance"),
            "VOSK_MODELS_DIR": str(folder / "models"), "RECORDINGS_DIR": str(folder / "recordings"),
            "JOBLINE_IVR_FILE": str(peak_flow(folder)), "DELETE_RECORDINGS_AT_TWILIO": "0",
            "TWILIO_CALLER_ID": CALLER_ID, "LOG_FORMAT": "plain"})
        # Only the Korean model can be installed here (TESTING.md): every language's recordings are
        # transcribed with it, so each recording costs the worker a real Vosk run.
        for lang in ("EN", "ES", "FR", "KO"):
            env[f"VOSK_MODEL_{lang}"] = str(korean.path)
        env.update(HTTPS_PROXY=self.rest.url, NO_PROXY="127.0.0.1,localhost",
                   REQUESTS_CA_BUNDLE=str(self.rest.cert))
        subprocess.run([sys.executable, "run.py", "init-db"], cwd=ROOT, check=True, capture_output=True,
                       env={"PATH": os.environ["PATH"], **env})
        self.units = [Unit("jobline-web@.service", str(port), env, folder) for port in self.ports]
        self.units += [Unit("jobline-worker@.service", str(n), env, folder) for n in range(1, workers + 1)]
        self.webs, self.workers = self.units[:web_nodes], self.units[web_nodes:]
        for unit in self.units:
            self.stack.callback(unit.stop)
            unit.start()
        self.audio = {"name": speech_wav(folder, "김민수입니다"),
                      "reason": speech_wav(folder, "실업급여 신청 방법을 알고 싶습니다. "
                                                   "지난달에 회사를 그만두었습니다.")}

    def advisers(self, count: int) -> list[str]:
        """`count` agents serving every queue and language, each with a phone number; one
        password hash made the slow way and shared, so set-up costs no CPU in the window."""
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from callcenter.accounts.users import create_user
        from db.models import User

        engine = create_engine(self.database)
        names = [f"adviser{n:04d}" for n in range(count)]
        with Session(engine) as s:
            first, _ = create_user(s, names[0], "Adviser 0", "agent", PASSWORD,
                                   queues=["general", "benefits", "employers"],
                                   languages=["en", "es", "fr", "ko"], phone=adviser_phone(0))
            s.add_all(User(username=name, name=f"Adviser {n}", password_hash=first.password_hash,
                           role="agent", queues=first.queues, languages=first.languages,
                           phone=adviser_phone(n))
                      for n, name in enumerate(names[1:], 1))
            s.commit()
        engine.dispose()
        return names

    def close(self) -> None:
        self.stack.close()
