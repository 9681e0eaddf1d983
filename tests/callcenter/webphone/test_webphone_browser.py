"""Issue 6's story in Chromium: someone calls the helpline from /phone, walks the menu with
keypad clicks, answers a spoken question with a WAV file, reaches the queue; an adviser answers
on the desk in a second browser and sees the transcript of that audio. Everything real: the
signed webhooks, Redis, an RQ speech worker process with the Korean Vosk model."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from callcenter.accounts.users import create_user
from db import session as db
from db.models import QueueEntry, Recording
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.support.desk import PASSWORD
from tests.support.env import ACCOUNT, OPEN_TIME, ROOT, TOKEN
from tests.support.live import free_port

pytestmark = pytest.mark.browser


def korean_wav(folder: Path, name: str, text: str) -> Path:
    raw, out = folder / f"{name}-raw.wav", folder / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True)
    return out


@pytest.fixture
def helpline(make_app, database_url, redis_url, tmp_path) -> Iterator[str]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    base = f"http://127.0.0.1:{free_port()}"
    app = make_app(CLOCK=lambda: OPEN_TIME, INSTANCE=str(tmp_path), TRANSCRIPT_WAIT_S=6,
                   PUBLIC_BASE_URL=base, DEMO_PHONE=True)
    # The web phone serves its recordings as Twilio does: this app is the worker's Twilio API host.
    env = dict(os.environ, JOBLINE_ENV="production", DATABASE_URL=database_url, REDIS_URL=redis_url,
               TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN, SECRET_KEY="worker",
               RECORDINGS_DIR=str(tmp_path / "recordings"), PUBLIC_BASE_URL=base, TWILIO_API_BASE=base)
    worker = subprocess.Popen([sys.executable, "run.py", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = make_server("127.0.0.1", int(base.rsplit(":", 1)[1]), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base
    finally:
        server.shutdown()
        worker.terminate()
        worker.wait(timeout=30)


def sign_in(browser, base: str, username: str):
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def hears(page, text: str, timeout: float = 15_000) -> None:
    page.wait_for_function("t => document.getElementById('heard').innerText.includes(t)", arg=text,
                           timeout=timeout)


def test_a_web_phone_call_is_answered_on_the_desk_with_its_transcript(helpline, tmp_path):
    from playwright.sync_api import sync_playwright

    with db.SessionLocal() as s:
        create_user(s, "minji", "Kim Minji", "agent", PASSWORD, queues=["general", "benefits", "employers"],
                    languages=["ko", "en"], phone="+447700900999")
        create_user(s, "trainer", "Pat Trainer", "supervisor", PASSWORD)
        s.commit()
    name_wav = korean_wav(tmp_path, "name", "김민수 입니다")
    reason_wav = korean_wav(tmp_path, "reason", "안녕하세요")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        desk = sign_in(browser, helpline, "minji")
        desk.click("button.status[data-status=available]")
        desk.wait_for_selector("button.status[data-status=available][aria-pressed=true]")

        phone = sign_in(browser, helpline, "trainer")
        phone.goto(helpline + "/phone")
        phone.uncheck("#speak")  # headless Chromium has no voices; the text is on screen
        phone.click("#call")
        hears(phone, "한국어는 4번을 누르세요.")
        phone.click('.key[data-key="4"]')
        hears(phone, "주 메뉴입니다.")
        phone.click('.key[data-key="6"]')
        hears(phone, "삐 소리가 나면 성함을")
        assert phone.is_visible("#recorder")
        phone.set_input_files("#wav", str(name_wav))
        reason_prompt = "삐 소리가 나면 전화하신 이유를"
        phone.wait_for_function("t => /이렇게 들었습니다/.test(document.getElementById('heard').innerText)"
                                " || document.getElementById('heard').innerText.includes(t)",
                                arg=reason_prompt, timeout=30_000)
        if "이렇게 들었습니다" in phone.inner_text("#heard"):
            phone.click('.key[data-key="1"]')  # yes, that is my name
            hears(phone, reason_prompt)
        phone.screenshot(path=str(SHOTS / "webphone-speech.png"))
        phone.set_input_files("#wav", str(reason_wav))
        phone.wait_for_function(
            "() => document.getElementById('status').innerText !== 'Sending your recording…'", timeout=30_000)
        if "주 메뉴입니다." in phone.inner_text("#heard").rsplit(reason_prompt, 1)[-1]:
            phone.click('.key[data-key="0"]')  # no clear reason: the caller asks for an adviser
        phone.wait_for_function("() => document.getElementById('status').innerText.startsWith('On hold')",
                                timeout=20_000)
        phone.screenshot(path=str(SHOTS / "webphone-hold.png"))

        with db.SessionLocal() as s:  # the transcript of the uploaded audio, as the worker stored it
            deadline = time.monotonic() + 60
            while True:
                rec = s.scalar(select(Recording).where(Recording.kind == "name"))
                if rec.status not in {"pending", "queued", "transcribing"} or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
                s.expire_all()
            assert rec.status == "transcribed" and rec.text
            transcript = rec.text
        desk.wait_for_selector("#rows tr", timeout=5_000)
        desk.wait_for_function("t => document.getElementById('rows').innerText.includes(t)",
                               arg=transcript, timeout=20_000)
        desk.screenshot(path=str(SHOTS / "webphone-desk.png"))
        desk.keyboard.press("a")  # answer: the bridge carries the REST redirect to the web phone
        desk.wait_for_selector(".oncall")
        phone.wait_for_function(
            "() => document.getElementById('status').innerText === 'Connected to an adviser'", timeout=20_000)
        phone.screenshot(path=str(SHOTS / "webphone-connected.png"))
        with db.SessionLocal() as s:
            entry = s.scalar(select(QueueEntry))
            assert entry.status == "connected" and entry.agent.username == "minji"
        browser.close()
