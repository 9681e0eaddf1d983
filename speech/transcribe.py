"""Turning 16-bit mono PCM into text with a loaded Vosk model.

`transcribe` is a plain function of (model, audio): a new recognizer per call, so one loaded
model serves every job and nothing carries over from one caller to the next.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import vosk

# 0.25 s at 16 kHz. Vosk ends an utterance on silence while audio is fed; each finished
# utterance comes back from Result() and must be collected, or only the last one survives.
CHUNK_BYTES = 8000


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float | None  # mean word confidence, None when no words were heard
    words: list[dict[str, Any]] = field(default_factory=list)  # {word, start, end, conf}


_BRACKETED = re.compile(r"^\[(.*)\]$")


def readable(words: list[dict[str, Any]], free_speech: bool) -> list[dict[str, Any]]:
    """Words as a caller would say them back: some models write numbers in brackets (the Korean
    one hears "12월" as "[12] 월"), which are unbracketed; in free speech other bracketed tokens
    ("[unk]", noise) are dropped. In grammar mode "[unk]" stays: it means "not a digit"."""
    out = []
    for w in words:
        token = _BRACKETED.match(w["word"])
        if token and token.group(1).isdigit():
            w = {**w, "word": token.group(1)}
        elif token and free_speech:
            continue
        out.append(w)
    return out


def transcribe(
    model: vosk.Model, pcm: bytes, rate: int, grammar: list[str] | None = None
) -> Transcript:
    """Recognize `pcm` (16-bit mono little-endian at `rate` Hz).

    With `grammar` (a list of phrases, "[unk]" for anything else) recognition is restricted to
    those phrases, which is how spoken digits are captured reliably.
    """
    if grammar:
        rec = vosk.KaldiRecognizer(model, rate, json.dumps(grammar, ensure_ascii=False))
    else:
        rec = vosk.KaldiRecognizer(model, rate)
    rec.SetWords(True)
    segments: list[dict[str, Any]] = []
    for start in range(0, len(pcm), CHUNK_BYTES):
        if rec.AcceptWaveform(pcm[start : start + CHUNK_BYTES]):
            segments.append(json.loads(rec.Result()))
    segments.append(json.loads(rec.FinalResult()))
    words = readable([
        {"word": w["word"], "start": w["start"], "end": w["end"], "conf": w["conf"]}
        for seg in segments
        for w in seg.get("result", [])
    ], free_speech=not grammar)
    text = " ".join(w["word"] for w in words)
    confidence = sum(w["conf"] for w in words) / len(words) if words else None
    return Transcript(text=text, confidence=confidence, words=words)
