"""Checking and converting recorded audio before it reaches Vosk.

Twilio recordings are RIFF/WAVE files, 8 kHz, 16-bit, mono PCM. We also accept 16 kHz (and the
other common rates), G.711 mu-law and A-law WAV, and stereo: a dual-channel call recording is
stereo with one party per channel, and refusing it would lose the caller's words, so stereo is
downmixed to mono (the mean of the channels) instead. What cannot be turned into speech for the
recognizer is refused with `UnsupportedAudio`, whose `reason` is a sentence an adviser can read.

The WAV header is parsed here rather than with the `wave` module because `wave` only knows
plain PCM and its errors do not say what is wrong with the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from math import gcd

import numpy as np

# A spoken capture or voicemail longer than this is not something the IVR asks for.
MAX_SECONDS = 600
SUPPORTED_RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000)
DEFAULT_MODEL_RATE = 16000

_PCM, _ALAW, _MULAW, _EXTENSIBLE = 1, 6, 7, 0xFFFE
_FORMAT_NAMES = {3: "32-bit float", 2: "ADPCM", 0x11: "IMA ADPCM", 0x55: "MP3", 0x31: "GSM 6.10"}


class UnsupportedAudio(Exception):
    """The audio cannot be transcribed; `reason` says why in one sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AudioInfo:
    rate: int
    channels: int
    width: int  # bytes per sample as stored (1 for mu-law/A-law)
    frames: int
    seconds: float
    encoding: str  # "pcm", "mulaw" or "alaw"


@dataclass(frozen=True)
class _Wav:
    info: AudioInfo
    data: bytes


def _parse(blob: bytes) -> _Wav:
    if not blob:
        raise UnsupportedAudio("The recording is empty (0 bytes).")
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise UnsupportedAudio("The recording is not a WAV file (no RIFF/WAVE header).")
    fmt: bytes | None = None
    data: bytes | None = None
    pos = 12
    while pos + 8 <= len(blob):
        cid, size = blob[pos : pos + 4], struct.unpack_from("<I", blob, pos + 4)[0]
        body = blob[pos + 8 : pos + 8 + size]  # a streamed WAV may claim more than it holds
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            data = body
            break
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    if fmt is None or len(fmt) < 16:
        raise UnsupportedAudio("The WAV file has no valid format chunk.")
    tag, channels, rate, _byte_rate, block, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]  # first two bytes of the sub-format GUID
    if tag == _PCM:
        encoding = "pcm"
        if bits == 8:
            raise UnsupportedAudio(
                "The recording is 8-bit PCM; speech recognition needs 16-bit audio."
            )
        if bits != 16:
            raise UnsupportedAudio(f"The recording is {bits}-bit PCM; only 16-bit is supported.")
    elif tag in (_MULAW, _ALAW) and bits == 8:
        encoding = "mulaw" if tag == _MULAW else "alaw"
    else:
        name = _FORMAT_NAMES.get(tag, f"format code {tag}")
        raise UnsupportedAudio(f"The WAV file is encoded as {name}; use PCM, mu-law or A-law.")
    if channels not in (1, 2):
        raise UnsupportedAudio(f"The recording has {channels} channels; only mono or stereo.")
    if rate not in SUPPORTED_RATES:
        raise UnsupportedAudio(
            f"The sample rate {rate} Hz is not supported; telephone audio is 8000 Hz "
            f"(supported: {', '.join(str(r) for r in SUPPORTED_RATES)})."
        )
    if data is None or len(data) < block:
        raise UnsupportedAudio("The WAV file has a header but no audio data.")
    frames = len(data) // block
    seconds = frames / rate
    if seconds > MAX_SECONDS:
        raise UnsupportedAudio(
            f"The recording lasts {seconds:.0f} s; the limit is {MAX_SECONDS} s."
        )
    info = AudioInfo(rate, channels, bits // 8, frames, seconds, encoding)
    return _Wav(info, data[: frames * block])


def check(blob: bytes) -> AudioInfo:
    """Describe a WAV recording, or raise `UnsupportedAudio` saying why it cannot be used."""
    return _parse(blob).info


def _g711_table(encoding: str) -> np.ndarray:
    """The 256 linear 16-bit values of G.711 mu-law or A-law (ITU-T G.711 decoding)."""
    codes = np.arange(256, dtype=np.int32)
    if encoding == "mulaw":
        u = ~codes & 0xFF
        exponent, mantissa = (u >> 4) & 0x07, u & 0x0F
        magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
        return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)
    a = codes ^ 0x55
    exponent, mantissa = (a >> 4) & 0x07, a & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


def _resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Band-limited polyphase resampling with a Kaiser-windowed sinc filter.

    With few phases (8 <-> 16 kHz, 48 -> 16 kHz) each phase is one `np.convolve` over the whole
    signal, which keeps conversion far cheaper than decoding; odd ratios (44.1 kHz) gather
    windows block by block instead, to bound memory.
    """
    g = gcd(src, dst)
    up, down = dst // g, src // g
    half = 16  # filter half-length in input samples: enough for speech, cheap to run
    cutoff = min(1.0, dst / src) * 0.95  # a little below Nyquist so the transition band fits
    taps = np.arange(-half + 1, half + 1)
    window = np.kaiser(2 * half, 8.0)
    n_out = len(x) * up // down
    n = np.arange(n_out)
    base = (n * down) // up
    phase = (n * down) % up

    def kernel(frac: np.ndarray) -> np.ndarray:
        return np.sinc(cutoff * (taps[None, :] - frac[:, None])) * cutoff * window[None, :]

    padded = np.concatenate([np.zeros(half), x, np.zeros(half + 1)])
    out = np.empty(n_out, dtype=np.float64)
    if up <= 4:
        for p, h in enumerate(kernel(np.arange(up) / up)):
            # full-convolution index base + 2*half lines the taps up with base + taps
            y = np.convolve(padded, h[::-1])
            sel = phase == p
            out[sel] = y[base[sel] + 2 * half]
        return out
    for start in range(0, n_out, 65536):
        sl = slice(start, start + 65536)
        offsets = base[sl, None] + taps[None, :] + half
        out[sl] = (padded[offsets] * kernel(phase[sl] / up)).sum(axis=1)
    return out


def to_pcm16_mono(blob: bytes, rate: int = DEFAULT_MODEL_RATE) -> tuple[bytes, AudioInfo]:
    """Check a WAV recording and convert it to 16-bit mono little-endian PCM at `rate`.

    Returns the PCM bytes and the info of the original recording. Raises `UnsupportedAudio`.
    """
    wav = _parse(blob)
    info = wav.info
    if info.encoding == "pcm":
        samples = np.frombuffer(wav.data, dtype="<i2").astype(np.int32)
    else:
        samples = _g711_table(info.encoding)[np.frombuffer(wav.data, dtype=np.uint8)]
        samples = samples.astype(np.int32)
    if info.channels == 2:
        samples = samples.reshape(-1, 2).sum(axis=1) // 2  # identical channels stay exact
    if info.rate == rate:
        return samples.astype("<i2").tobytes(), info
    converted = _resample(samples.astype(np.float64), info.rate, rate)
    return np.clip(np.rint(converted), -32768, 32767).astype("<i2").tobytes(), info

