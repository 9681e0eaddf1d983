"""How long a <Play> lasts: Twilio plays the whole file, so hold music is call time passing."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from urllib.parse import urljoin, urlsplit

from ivr.telephony.simulator.transport import CallError, Transport

_MEDIA_SECONDS: dict[str, float] = {}  # a <Play> URL's length, fetched once per process


def wav_seconds(blob: bytes) -> float:
    """The length of a RIFF/WAVE file from its header (PCM, mu-law or a-law alike): data bytes /
    byte rate. 0.0 for anything that is not a WAV (Twilio would not play it either)."""
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        return 0.0
    pos, byte_rate, data = 12, 0, 0
    while pos + 8 <= len(blob):
        tag, size = blob[pos:pos + 4], struct.unpack("<I", blob[pos + 4:pos + 8])[0]
        if tag == b"fmt " and size >= 12:
            byte_rate = struct.unpack("<I", blob[pos + 16:pos + 20])[0]
        elif tag == b"data":
            data = min(size, len(blob) - pos - 8)
        pos += 8 + size + (size & 1)
    return data / byte_rate if byte_rate else 0.0


def media_seconds(transport: Transport, base: str, url: str) -> float:
    """The length of the WAV the app serves at `url` (relative to `base`), fetched once per
    process; 0.0 when the transport cannot fetch files or the file is not a WAV."""
    get = getattr(transport, "get", None)
    if get is None or not url:
        return 0.0
    url = urljoin(base, url)
    if url not in _MEDIA_SECONDS:
        try:
            _MEDIA_SECONDS[url] = wav_seconds(get(url))
        except (OSError, CallError):
            return 0.0
    return _MEDIA_SECONDS[url]


# Jobline's recorded prompts (ivr/views/prompt_audio.py), as the simulator knows /ivr/voice and
# /ivr/status: one nested in a <Gather> is a prompt the caller hears, not the hold music under it.
PROMPTS_PATH = "/ivr/prompts/"


def is_prompt(verb: ET.Element) -> bool:
    return verb.tag == "Play" and urlsplit((verb.text or "").strip()).path.startswith(PROMPTS_PATH)
