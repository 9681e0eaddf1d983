"""A recording is checked before it reaches Vosk: usable audio is described and converted,
unusable audio is refused with a sentence an adviser can read."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from speech import audio


def _pcm(path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def test_twilio_style_recording_is_described(clips):
    info = audio.check(clips.bytes("ko8"))
    assert (info.rate, info.channels, info.width, info.encoding) == (8000, 1, 2, "pcm")
    assert info.frames == len(_pcm(clips["ko8"]))
    assert info.seconds == pytest.approx(info.frames / 8000)


def test_real_english_telephone_recording_is_described(clips):
    if "en_phone8" not in clips.paths:
        pytest.skip("asterisk-core-sounds-en-wav is not installed (apt-get install it)")
    info = audio.check(clips.bytes("en_phone8"))
    assert (info.rate, info.channels, info.encoding) == (8000, 1, "pcm")
    pcm, _ = audio.to_pcm16_mono(clips.bytes("en_phone8"), 16000)
    assert len(pcm) == 2 * info.frames * 2


@pytest.mark.parametrize(
    ("clip", "reason"),
    [
        ("bad_empty", "empty"),
        ("bad_header_only", "header but no audio"),
        ("bad_not_wav", "not a WAV file"),
        ("bad_8bit", "8-bit"),
        ("bad_24bit", "24-bit"),
        ("bad_float", "32-bit float"),
        ("bad_rate", "4000 Hz is not supported"),
        ("bad_long", "the limit is 600 s"),
        ("bad_3ch", "3 channels"),
    ],
)
def test_unusable_audio_is_refused_with_a_reason(clips, clip, reason):
    with pytest.raises(audio.UnsupportedAudio) as refused:
        audio.to_pcm16_mono(clips.bytes(clip), 16000)
    assert reason in refused.value.reason
    assert refused.value.reason.endswith(".")  # a sentence, shown as is on the desk


def test_8khz_is_converted_to_the_model_rate(clips):
    pcm, info = audio.to_pcm16_mono(clips.bytes("ko8"), 16000)
    assert info.rate == 8000
    assert len(pcm) // 2 == info.frames * 2


def test_audio_already_at_the_model_rate_is_passed_through_unchanged(clips):
    pcm, _ = audio.to_pcm16_mono(clips.bytes("ko16"), 16000)
    assert pcm == _pcm(clips["ko16"]).tobytes()


def test_stereo_is_downmixed_so_identical_channels_give_the_mono_audio(clips):
    stereo, info = audio.to_pcm16_mono(clips.bytes("ko8_stereo"), 8000)
    mono, _ = audio.to_pcm16_mono(clips.bytes("ko8"), 8000)
    assert info.channels == 2
    assert stereo == mono


@pytest.mark.parametrize("law", ["mulaw", "alaw"])
def test_g711_decoding_matches_sox(clips, law):
    ours, info = audio.to_pcm16_mono(clips.bytes(f"ko8_{law}"), 8000)
    assert info.encoding == law
    sox = _pcm(clips[f"ko8_{law}_by_sox"])
    assert np.array_equal(np.frombuffer(ours, dtype="<i2"), sox)


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (44100, 16000),
                                          (48000, 16000), (22050, 16000)])
def test_resampling_keeps_a_speech_band_tone(src, dst):
    seconds = 1
    tone = (np.sin(2 * np.pi * 440 * np.arange(src * seconds) / src) * 8000).astype("<i2")
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(src)
        w.writeframes(tone.tobytes())
    pcm, _ = audio.to_pcm16_mono(buf.getvalue(), dst)
    got = np.frombuffer(pcm, dtype="<i2").astype(float)
    want = np.sin(2 * np.pi * 440 * np.arange(dst * seconds) / dst) * 8000
    assert len(got) == len(want)
    inner = slice(64, -64)  # the filter's edges see zeros beyond the signal
    assert np.abs(got[inner] - want[inner]).max() < 8000 * 0.01
