"""A language without a voice is heard only from recordings (config/flow_audio.py): the boot
refuses the flow until every text its callers may hear has its file, naming each missing one in
one error; a prompt with a variable part is recorded as parts; a language with a voice needs none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from config.flow import load_flow
from config.settings import ROOT, ConfigError

SHIPPED = ROOT / "config" / "ivr.yaml"


def flow_copy(tmp_path: Path, edit=None, audio: str = "link") -> Path:
    """The shipped flow (edited) in tmp_path, its audio folder linked, copied (to delete from) or absent."""
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    if edit is not None:
        edit(raw)
    path = tmp_path / "ivr.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    if audio == "link":
        (tmp_path / "audio").symlink_to(ROOT / "config" / "audio")
    elif audio == "copy":
        shutil.copytree(ROOT / "config" / "audio", tmp_path / "audio")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_flow(path)
    return str(info.value)


def test_the_shipped_swahili_is_heard_only_from_recordings():
    flow = load_flow(SHIPPED)
    sw = flow.language("sw")
    assert sw.recorded_only and sw.voice is None and sw.key == "5"
    assert flow.recorded("languages.sw.choose", "sw") == ("sw/choose.wav",)
    assert flow.recorded("nodes.main.options.1.label", "sw") == ("sw/main-option-1.wav",)
    assert flow.recorded("prompts.queue_position", "sw") == (
        "sw/you-are-number.wav", "{position}", "sw/in-line.wav")
    assert flow.recordings.transcripts["sw/you-are-number.wav"] == "Wewe ni namba"
    # Keys are fixed by the flow file: a whole recording says them, its transcript names them.
    assert flow.recorded("prompts.error_offer", "sw") == ("sw/error_offer.wav",)
    assert flow.recordings.transcripts["sw/whisper-take.wav"] == "Bonyeza 1 kuipokea."
    assert flow.recorded("prompts.record_heard", "sw") is None  # a caller's own words cannot be recorded


def test_one_error_names_every_missing_file_and_where_the_flow_names_it(tmp_path):
    path = flow_copy(tmp_path, audio="copy")
    for name in ("welcome.wav", "main-option-3.wav", "numbers/7.wav"):
        (tmp_path / "audio" / "sw" / name).unlink()
    message = error_of(path)
    assert message.startswith(f"{path}: 3 recordings are missing: ")
    assert f"prompts.welcome.sw.audio: the recording {tmp_path}/audio/sw/welcome.wav is missing" in message
    assert (f"nodes.main.options.3.label.sw.audio: the recording {tmp_path}/audio/sw/main-option-3.wav"
            in message)
    assert f"says a number, but {tmp_path}/audio/sw/numbers/7.wav is missing" in message
    assert "upload it on the flow map page" in message


def test_a_text_without_recording_in_a_recordings_only_language_is_named_with_the_file_to_add(tmp_path):
    def unrecord(raw):
        raw["prompts"]["goodbye"]["sw"] = "Kwaheri."
        raw["nodes"]["offices"]["text"]["sw"] = "Ofisi zetu."
    message = error_of(flow_copy(tmp_path, unrecord))
    assert "2 recordings are missing" in message
    assert ("prompts.goodbye.sw: no recording (language 'sw' has no voice); write {text: ..., "
            "audio: goodbye.wav} and add ") in message and "audio/sw/goodbye.wav" in message
    assert "nodes.offices.text.sw: no recording" in message and "audio/sw/offices-text.wav" in message
    assert "give it a voice and say_language" in message


def test_a_variable_part_needs_parts_in_the_texts_order(tmp_path):
    def whole(raw):
        raw["prompts"]["queue_position"]["sw"]["audio"] = "you-are-number.wav"
    message = error_of(flow_copy(tmp_path, whole))
    assert "prompts.queue_position.sw.audio:" in message and "{position}" in message
    assert "give the recording as parts" in message



def test_parts_must_say_every_variable_part(tmp_path):
    def unsaid(raw):
        raw["prompts"]["queue_position"]["sw"]["audio"] = ["you-are-number.wav", "in-line.wav"]
    message = error_of(flow_copy(tmp_path, unsaid))
    assert "prompts.queue_position.sw.audio: the parts do not say {position}" in message


def test_a_callers_own_words_cannot_be_recorded(tmp_path):
    def heard(raw):
        raw["prompts"]["record_heard"]["sw"] = {"text": raw["prompts"]["record_heard"]["sw"],
                                                "audio": ["heard.wav", "{text}", "right.wav"]}
    assert "prompts.record_heard.sw.audio: a recording cannot say what changes with each caller ({text})" \
        in error_of(flow_copy(tmp_path, heard))


def test_a_language_with_a_voice_needs_no_recording(tmp_path):
    def spoken(raw):
        for per_lang in raw["prompts"].values():
            if isinstance(per_lang.get("en"), dict) and "audio" in per_lang["en"]:
                per_lang["en"] = per_lang["en"]["text"]
        raw["languages"] = [lang for lang in raw["languages"] if lang["code"] != "sw"]
        _drop_language(raw, "sw")
    flow = load_flow(flow_copy(tmp_path, spoken, audio="none"))
    assert flow.audio == {} and [lang.code for lang in flow.languages] == ["en", "es", "fr", "ko"]


def test_a_voice_needs_its_say_language(tmp_path):
    def half(raw):
        raw["languages"][4]["voice"] = "Polly.Joanna-Neural"
    message = error_of(flow_copy(tmp_path, half))
    assert message.startswith(f"{tmp_path}/ivr.yaml: languages.4:") and "say_language" in message


def _drop_language(node: object, code: str) -> None:
    """Every `code:` entry of the flow removed (its texts, labels, queue languages)."""
    if isinstance(node, dict):
        node.pop(code, None)
        for value in node.values():
            _drop_language(value, code)
        if isinstance(node.get("languages"), list) and code in node["languages"]:
            node["languages"].remove(code)  # a queue's languages
    elif isinstance(node, list):
        for value in node:
            _drop_language(value, code)
