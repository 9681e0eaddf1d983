"""Synthetic recordings for a language of config/ivr.yaml: every file its recordings name, spoken
by espeak-ng from the transcript the flow file gives it, as telephone audio (sox: 8 kHz, mono,
16-bit WAV). For a demo or a first draft only: a PES replaces them with human recordings on the
flow map page (config/audio/README.md says what the files are and under which licence).

    python config/audio/make_synthetic.py sw            # the files still missing
    python config/audio/make_synthetic.py sw --all      # every file again
    python config/audio/make_synthetic.py sw --numbers 20   # numbers/10.wav ... 20.wav too

Needs the Debian packages espeak-ng and sox; run it once, and commit the WAVs (tests and the
demo never call espeak-ng).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from config.flow_audio import split_recorded  # noqa: E402
from config.flow_yaml import parse_flow_text  # noqa: E402

WORDS_PER_MINUTE = 160  # espeak-ng's default is 175: a little slower for the telephone


def synthesize(words: str, lang: str, target: Path) -> None:
    """words spoken by espeak-ng's voice for lang, written to target as 8 kHz mono 16-bit WAV."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "espeak.wav"
        subprocess.run(["espeak-ng", "-v", lang, "-s", str(WORDS_PER_MINUTE), "-w", str(raw), words],
                       check=True)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                        str(target), "norm", "-3",  # the silence espeak-ng leaves at both ends, trimmed
                        "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
                        "pad", "0", "0.15"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lang")
    parser.add_argument("--flow", type=Path, default=ROOT / "config" / "ivr.yaml")
    parser.add_argument("--all", action="store_true", help="make every file again, not only the missing ones")
    parser.add_argument("--numbers", type=int, default=0, help="also numbers/10.wav up to this number")
    args = parser.parse_args()
    audio_dir = args.flow.resolve().parent / "audio"
    raw = parse_flow_text(args.flow.read_text(encoding="utf-8"))
    _, found = split_recorded(raw, audio_dir)
    wanted = {rel: words for rel, words in found.transcripts.items() if rel.startswith(args.lang + "/")}
    wanted.update({f"{args.lang}/numbers/{n}.wav": str(n) for n in range(10, args.numbers + 1)})
    for relative, words in sorted(wanted.items()):
        target = audio_dir / relative
        if args.all or not target.is_file():
            synthesize(words, args.lang, target)
            print(f"{relative}: {words}")


if __name__ == "__main__":
    main()
