"""A copy of the shipped flow whose queues offer their callers (issue 16), for the offered-call
tests: `mode: offer` on the queues named, with their timeout and the floor's misses rule."""

from __future__ import annotations

from pathlib import Path

import yaml

from config.settings import ROOT

SHIPPED = ROOT / "config" / "ivr.yaml"


def offer_flow(folder: Path, queues: tuple[str, ...] = ("general", "benefits", "employers"),
               timeout_s: int = 20, misses_before_away: int = 2) -> Path:
    """Write the flow file into `folder` (its recorded prompts beside it) and return its path."""
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    for name in queues:
        raw["queues"][name].update(mode="offer", offer_timeout_s=timeout_s)
    raw["offers"] = {"misses_before_away": misses_before_away}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ivr.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    if not (folder / "audio").exists():
        (folder / "audio").symlink_to(ROOT / "config" / "audio")
    return path
