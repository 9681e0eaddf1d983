"""Issue 19: supervisors listen to, upload and replace recorded prompts on the flow map page;
uploads become telephone audio (8 kHz mono, by sox), are audited, and the draft check refuses a
flow naming a recording that is not there."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from config.settings import ROOT
from db import session as db
from db.models import AuditEntry

SHIPPED = ROOT / "config" / "ivr.yaml"


@pytest.fixture
def app(make_app, tmp_path):
    """The app on a copy of the flow and its audio folder: uploads never touch config/audio."""
    folder = tmp_path / "flow"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / "ivr.yaml")
    shutil.copytree(ROOT / "config" / "audio", folder / "audio")
    return make_app(IVR_FILE=folder / "ivr.yaml")


def audio_dir(app) -> Path:
    return Path(app.config["IVR_FILE"]).parent / "audio"


def sound(tmp_path: Path, name: str, *effect: str) -> bytes:
    """A second of tone at CD quality, stereo: not telephone audio until converted."""
    path = tmp_path / name
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(path), "synth", "1", "sine", "440", *effect],
                   check=True)
    return path.read_bytes()


def soxi(path: Path) -> tuple[str, str]:
    info = subprocess.run(["soxi", str(path)], capture_output=True, text=True, check=True).stdout
    rate, channels = re.search(r"Sample Rate\s*: (\d+)", info), re.search(r"Channels\s*: (\d+)", info)
    return rate.group(1), channels.group(1)


def upload(desk, prompt: str, lang: str, blob: bytes, name: str):
    return desk.client.post("/flow/recordings", data={
        "csrf_token": desk.token, "prompt": prompt, "lang": lang, "audio": (io.BytesIO(blob), name)},
        content_type="multipart/form-data", follow_redirects=True)


def draft(raw: dict) -> str:
    return yaml.safe_dump(raw, allow_unicode=True)


def text(resp) -> str:
    return " ".join(resp.get_data(as_text=True).split())


def test_supervisors_hear_the_recorded_prompts_with_their_words(signed_in, app):
    desk = signed_in("supervisor")
    html = text(desk.get("/flow"))
    row = re.search(r'<tr data-prompt="capture_thanks" data-lang="en">(.*?)</tr>', html).group(1)
    assert "Thank you." in row and 'src="/flow/recordings/en/thank-you.wav"' in row
    played = desk.get("/flow/recordings/en/thank-you.wav")
    assert played.status_code == 200
    assert played.get_data() == (audio_dir(app) / "en" / "thank-you.wav").read_bytes()
    assert signed_in("agent").get("/flow/recordings/en/thank-you.wav").status_code == 403
    assert "Recorded prompts" not in text(signed_in("agent").get("/flow"))


def test_an_mp3_upload_becomes_telephone_audio_and_the_draft_check_wants_it_named(signed_in, app, tmp_path):
    desk = signed_in("supervisor")
    resp = upload(desk, "goodbye", "fr", sound(tmp_path, "au-revoir.mp3"), "au-revoir.mp3")
    saved = audio_dir(app) / "fr" / "goodbye.wav"
    assert saved.is_file() and soxi(saved) == ("8000", "1")
    assert "Saved as fr/goodbye.wav" in text(resp) and "prompts.goodbye.fr" in text(resp)
    with db.SessionLocal() as s:
        audited = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "recording_uploaded"))
        assert audited.all() == ["prompts.goodbye.fr"]

    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    said = raw["prompts"]["goodbye"]["fr"]
    raw["prompts"]["goodbye"]["fr"] = {"text": said, "audio": "goodbye.wav"}
    ok = desk.client.post("/flow", data={"csrf_token": desk.token, "draft": draft(raw)})
    assert "This flow is valid" in text(ok)
    raw["prompts"]["goodbye"]["es"] = {"text": "Adiós.", "audio": "adios.wav"}
    bad = desk.client.post("/flow", data={"csrf_token": desk.token, "draft": draft(raw)})
    assert "prompts.goodbye.es.audio: the recording" in text(bad) and "es/adios.wav is missing" in text(bad)


def test_replacing_a_recording_reaches_callers_under_a_new_url(signed_in, app, phone, tmp_path):
    def played_url(caller: str) -> str:  # a new caller each time: the language menu comes first
        p = phone(caller, on=app).dial().press("1").press("2").press("3").press("79927398#").press("1")
        plays = [el.text for r in p.replies for el in ET.fromstring(r).iter("Play")]
        return next(url for url in plays if "thank-you" in url)

    before, old = played_url("+447700900123"), (audio_dir(app) / "en" / "thank-you.wav").read_bytes()
    resp = upload(signed_in("supervisor"), "capture_thanks", "en", sound(tmp_path, "new.wav"), "new.wav")
    assert "callers in en now hear the new recording of capture_thanks" in text(resp)
    now = audio_dir(app) / "en" / "thank-you.wav"
    assert now.read_bytes() != old and soxi(now) == ("8000", "1")
    # Twilio's cache holds the old URL; the new one fetches the new file
    assert played_url("+447700900124") != before


@pytest.mark.parametrize(("prompt", "name", "blob", "says"), [
    ("goodbye", "notes.wav", b"not audio at all", "it is not a WAV file that can be read"),
    ("goodbye", "notes.txt", b"hello", "must be a WAV (.wav) or an MP3 (.mp3)"),
    ("queue_position", "n.wav", b"", "cannot be recorded"),  # says {position}
])
def test_what_cannot_be_a_prompt_is_refused_with_the_reason(signed_in, app, prompt, name, blob, says):
    resp = upload(signed_in("supervisor"), prompt, "en", blob, name)
    assert "The recording was not saved" in text(resp) and says in text(resp)
    assert not (audio_dir(app) / "en" / f"{prompt}.wav").exists()


def test_agents_cannot_upload(signed_in, tmp_path):
    desk = signed_in("agent")
    assert upload(desk, "goodbye", "en", sound(tmp_path, "a.wav"), "a.wav").status_code == 403


def test_every_file_a_recorded_language_plays_is_listed_and_replaced_on_the_page(signed_in, app, tmp_path):
    """Swahili is heard only from recordings: its menus' texts and the numbers said as parts are
    files too, each listed with its words and replaced in place (no flow-file change)."""
    desk = signed_in("supervisor")
    html = text(desk.get("/flow"))
    number = re.search(r'<tr data-prompt="numbers/3.wav" data-lang="sw">(.*?)</tr>', html).group(1)
    assert 'src="/flow/recordings/sw/numbers/3.wav"' in number
    assert 'name="file" value="numbers/3.wav"' in number
    assert desk.get("/flow/recordings/sw/numbers/3.wav").status_code == 200
    before = (audio_dir(app) / "sw" / "numbers" / "3.wav").read_bytes()
    resp = desk.client.post("/flow/recordings", data={
        "csrf_token": desk.token, "file": "numbers/3.wav", "lang": "sw",
        "audio": (io.BytesIO(sound(tmp_path, "three.wav")), "three.wav")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "callers in sw now hear the new recording sw/numbers/3.wav" in text(resp)
    after = audio_dir(app) / "sw" / "numbers" / "3.wav"
    assert after.read_bytes() != before and soxi(after) == ("8000", "1")
    with db.SessionLocal() as s:
        assert s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "recording_uploaded")) \
            == "audio.sw/numbers/3.wav"
    # Only a file of the list: never a path of the browser's choosing.
    for name in ("../../ivr.yaml", "numbers/99.wav"):
        refused = desk.client.post("/flow/recordings", data={
            "csrf_token": desk.token, "file": name, "lang": "sw",
            "audio": (io.BytesIO(sound(tmp_path, "x.wav")), "x.wav")},
            content_type="multipart/form-data", follow_redirects=True)
        assert "the flow plays no such file" in text(refused)
    flow_file = audio_dir(app).parent / "ivr.yaml"
    assert yaml.safe_load(flow_file.read_text()) == yaml.safe_load(SHIPPED.read_text())
