"""A Vosk model that decodes the same audio the same way every time, for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path


def undithered_view(model: Path, view: Path) -> Path:
    """`model` seen through `view` (symlinks) with Kaldi's feature dither off in conf/mfcc.conf.

    Kaldi adds random dither to the audio features, so two decodes of the same audio can differ by
    a word and by tens of percent in time (Vosk's maintainers call this expected, vosk-api#868,
    #1126); with it off, decodes are identical and comparable.
    """
    (view / "conf").mkdir(parents=True)
    for part in model.iterdir():
        if part.name != "conf":
            (view / part.name).symlink_to(part)
    for conf in (model / "conf").iterdir():
        (view / "conf" / conf.name).write_text(conf.read_text())
    with (view / "conf" / "mfcc.conf").open("a") as f:
        f.write("--dither=0\n")
    return view
