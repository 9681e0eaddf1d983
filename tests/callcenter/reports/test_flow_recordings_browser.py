"""Issue 19 in Chromium: a supervisor listens to a recorded prompt on the flow map page and
uploads a new one, which is saved as telephone audio."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from callcenter.accounts import users as accounts
from config.settings import ROOT
from db import session as db
from tests.support.browser import CHROMIUM, SHOTS, chromium, served

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery 9"


@pytest.fixture
def live(make_app, tmp_path) -> Iterator[str]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    folder = tmp_path / "flow"  # a copy of the flow and its audio folder: uploads land there
    folder.mkdir()
    shutil.copy(ROOT / "config" / "ivr.yaml", folder / "ivr.yaml")
    shutil.copytree(ROOT / "config" / "audio", folder / "audio")
    app = make_app(IVR_FILE=folder / "ivr.yaml")
    with db.SessionLocal() as s:
        accounts.create_user(s, "sup", "Sam Supervisor", "supervisor", password=PASSWORD)
        s.commit()
    with served(app) as base:
        yield base


def test_a_supervisor_listens_and_uploads_a_recording(live, tmp_path):
    upload = tmp_path / "merci.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(upload), "synth", "1", "sine", "440"],
                   check=True)
    with chromium(1366, 900) as page:
        page.goto(live + "/login")
        page.fill("input[name=username]", "sup")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(live + "/flow?lang=fr#recordings")
        row = page.locator('#recordings tr[data-prompt="capture_thanks"][data-lang="en"]')
        assert "Thank you." in row.inner_text()
        player = row.locator("audio")
        player.evaluate("a => { a.muted = true; return a.play(); }")  # the browser fetches and plays it
        page.wait_for_function("a => a.played.length > 0 && a.duration > 0.5", arg=player.element_handle())
        page.select_option("#rec-prompt", "capture_thanks")
        page.select_option("#rec-lang", "fr")
        page.set_input_files("#rec-file", str(upload))
        page.click("form.fm-record button[type=submit]")
        page.wait_for_selector("text=Saved as fr/capture_thanks.wav")
        page.locator("#recordings").screenshot(path=str(SHOTS / "h8-flowmap-recordings.png"))
    info = subprocess.run(["soxi", str(tmp_path / "flow" / "audio" / "fr" / "capture_thanks.wav")],
                          capture_output=True, text=True, check=True).stdout
    assert "Sample Rate    : 8000" in info and "Channels       : 1" in info
