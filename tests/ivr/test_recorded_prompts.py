"""Recorded prompts (config/flow_audio.py): a caller in English hears the recordings the flow names
(<Play> of Jobline's own, cacheable file), a caller in another language hears the text; the
flow file refuses a recording that is missing or that would have to say a variable part."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from config.flow import load_flow
from config.settings import ROOT, ConfigError

SHIPPED = ROOT / "config" / "ivr.yaml"
VALID = "79927398"


def played(p) -> list[str]:
    return [urlsplit(h.play).path for h in p.heard if h.play]


def test_an_english_caller_hears_the_recording_and_twilio_may_cache_it(phone, client):
    p = phone().dial().press("1").press("2").press("3").press(VALID + "#").press("1")
    assert "/ivr/prompts/en/thank-you.wav" in played(p)
    play = next(el for reply in p.replies for el in ET.fromstring(reply).iter("Play")
                if "thank-you.wav" in (el.text or ""))
    url = urlsplit(play.text.strip())
    assert url.query.startswith("v=")  # the file's version: a replaced recording is a new URL

    resp = client.get(f"{url.path}?{url.query}")
    assert resp.status_code == 200 and resp.mimetype in {"audio/wav", "audio/x-wav"}
    assert resp.get_data() == (ROOT / "config" / "audio" / "en" / "thank-you.wav").read_bytes()
    assert "max-age=86400" in resp.headers["Cache-Control"] and "public" in resp.headers["Cache-Control"]
    again = client.get(f"{url.path}?{url.query}", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304  # Twilio's cache revalidates without fetching the file again


def test_the_shipped_recordings_are_telephone_audio():
    for wav in sorted((ROOT / "config" / "audio").glob("*/*.wav")):
        info = subprocess.run(["soxi", str(wav)], capture_output=True, text=True, check=True).stdout
        assert "Sample Rate    : 8000" in info and "Channels       : 1" in info, wav


def test_a_spanish_caller_hears_the_words_said(phone):
    p = phone().dial()
    chosen = len(p.heard)  # the language menu plays Swahili's recorded line (sw has no voice)
    p.press("2").press("2").press("3").press(VALID + "#").press("1")
    assert "Gracias." in p.heard_since(-4)
    assert not [h.play for h in p.heard[chosen:] if h.play]


def test_only_the_flows_recordings_are_served(client):
    assert client.get("/ivr/prompts/en/thank-you.wav").status_code == 200
    assert client.get("/ivr/prompts/en/../ivr.yaml").status_code == 404
    assert client.get("/ivr/prompts/en/nothing.wav").status_code == 404


def flow_with(tmp_path: Path, lang: str, prompt: str, value: object, audio: bool = True) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    raw["prompts"][prompt][lang] = value
    path = tmp_path / "ivr.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    if audio:
        (tmp_path / "audio").symlink_to(ROOT / "config" / "audio")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_flow(path)
    return str(info.value)


def test_a_missing_recording_stops_the_boot_naming_file_path_and_prompt(tmp_path):
    path = flow_with(tmp_path, "fr", "goodbye", {"text": "Au revoir.", "audio": "au-revoir.wav"})
    message = error_of(path)
    assert message.startswith(f"{path}: prompts.goodbye.fr.audio: the recording ")
    assert "audio/fr/au-revoir.wav is missing" in message


def test_the_recordings_live_beside_the_flow_file(tmp_path):
    path = flow_with(tmp_path, "en", "goodbye", "Goodbye.", audio=False)  # no audio/ folder copied
    assert "prompts.capture_thanks.en.audio: the recording" in error_of(path)


def test_a_recording_cannot_say_a_variable_part(tmp_path):
    path = flow_with(tmp_path, "en", "queue_position",
                     {"text": "You are number {position} in line.", "audio": "thank-you.wav"})
    message = error_of(path)
    assert "prompts.queue_position.en.audio:" in message and "{position}" in message


def test_a_misspelt_recording_entry_is_named(tmp_path):
    path = flow_with(tmp_path, "en", "goodbye", {"text": "Goodbye.", "audoi": "bye.wav"})
    assert "prompts.goodbye.en" in error_of(path)
