"""Recordings as Twilio serves them, for the speech-capture tests: a loopback server that plays
Twilio's API host (the job fetches media from there only), telephone audio made with espeak-ng
and sox, and the stored recording of a call."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from config import settings
from db.models import Call, Recording
from tests.support.env import ACCOUNT

# Real telephone recordings in English: Debian's asterisk-core-sounds-en-wav (8 kHz mono).
ASTERISK_EN = Path("/usr/share/asterisk/sounds/en")

KOREAN = "4"


class RecordingServer:
    """Serves WAV files at Twilio-like recording URLs (the job fetches URL + '.wav')."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "audio/x-wav")
                self.end_headers()
                if body is not None:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, audio: bytes) -> tuple[str, str]:
        sid = "RE" + uuid.uuid4().hex
        path = f"/2010-04-01/Accounts/AC{'1' * 32}/Recordings/{sid}"
        self.files[path + ".wav"] = audio
        return sid, f"http://127.0.0.1:{self.server.server_port}{path}"


@pytest.fixture(scope="module")
def recordings() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.server.shutdown()


@pytest.fixture
def recordings_at_twilios_api_host(recordings: RecordingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loopback server plays Twilio's API host: the job fetches media from there only."""
    monkeypatch.setattr(settings, "TWILIO_API_BASE", f"http://127.0.0.1:{recordings.server.server_port}")
    monkeypatch.setattr(settings, "TWILIO_ACCOUNT_SID", ACCOUNT)  # media URLs name the account


def speech_wav(tmp_path: Path, text: str, voice: str = "ko") -> bytes:
    """Telephone audio (8 kHz, 16-bit mono) of espeak-ng saying `text`."""
    raw, phone_wav = tmp_path / "raw.wav", tmp_path / "phone.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(phone_wav)], check=True)
    return phone_wav.read_bytes()


def recording_of(s, p, kind: str) -> Recording:
    s.expire_all()
    return s.scalar(select(Recording).join(Call).where(Call.sid == p.sid, Recording.kind == kind))
