"""Charts for the reports, drawn on the server as SVG: no script, no library, prints and screenshots.

Bars for calls, a line for service level (its own 0-100 % scale on the right), a weekday x hour
heatmap and an outcome split. Every chart has a <title> and the numbers as text, so it reads
without colour and in a screen reader.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 760, 260, 56, 52, 16, 40
BAR, LINE, GRID, INK = "#3b6fd4", "#c2410c", "#d5dbe5", "#1f2937"
OUTCOME_COLOURS = {
    "answered": "#15803d", "self_service": "#3b6fd4", "ivr_hangup": "#9ca3af", "abandoned": "#b91c1c",
    "short_abandon": "#fca5a5", "callback": "#7c3aed", "voicemail": "#d97706", "closed": "#4b5563",
    "transferred": "#0e7490", "in_progress": "#e5e7eb",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float((int(value / step) + 1) * step)


def bars_with_rate(points: list[dict[str, Any]], label_key: str, bar_key: str, rate_key: str | None,
                   title: str, every: int = 1) -> Markup:
    """Bars of `bar_key` per point; the dots-and-line of `rate_key` (a %) on a right-hand scale."""
    n = max(1, len(points))
    top = _nice_max(max((p.get(bar_key) or 0) for p in points) if points else 0)
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    slot = plot_w / n
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for k in range(5):
        y = PAD_T + plot_h * k / 4
        parts.append(f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="14" fill="{INK}">'
                     f'{int(top * (4 - k) / 4):,}</text>')
        if rate_key:
            parts.append(f'<text x="{WIDTH - PAD_R + 6}" y="{y + 4:.1f}" font-size="14" fill="{LINE}">'
                         f'{100 * (4 - k) // 4}%</text>')
    line = []
    for i, p in enumerate(points):
        value = p.get(bar_key) or 0
        h = plot_h * value / top
        x = PAD_L + i * slot
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="{BAR}"><title>{escape(str(p[label_key]))}: {value:,}'
                     f'{_rate_note(p, rate_key)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - PAD_B + 20}" text-anchor="middle" '
                         f'font-size="14" fill="{INK}">{escape(str(p[label_key]))}</text>')
        if rate_key and p.get(rate_key) is not None:
            line.append((x + slot / 2, PAD_T + plot_h * (1 - p[rate_key] / 100)))
    if len(line) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE}"/>' for x, y in line]
    parts.append("</svg>")
    return Markup("".join(parts))


def _rate_note(p: dict[str, Any], rate_key: str | None) -> str:
    if not rate_key:
        return ""
    value = p.get(rate_key)
    return f", service level {'—' if value is None else f'{value:.1f}%'}"


HEAT_LEVELS = 10  # shades in reports_pages.css (.heat-0 .. .heat-10)


def heat_class(value: int, top: int) -> str:
    """The shade of a heatmap cell, white to deep blue, as a CSS class (the page's
    Content-Security-Policy allows no inline style); reports_pages.css keeps text contrast
    above 4.5:1 on every shade."""
    if top <= 0 or value <= 0:
        return "heat-0"
    return f"heat-{max(1, round(value / top * HEAT_LEVELS))}"


def heatmap_rows(heat: list[list[int]], first_hour: int = 6, last_hour: int = 21) -> list[dict[str, Any]]:
    top = max((max(row) for row in heat), default=0)
    return [{"day": WEEKDAYS[d], "cells": [(heat[d][h], heat_class(heat[d][h], top))
                                           for h in range(first_hour, last_hour + 1)]} for d in range(7)]


def outcome_split(outcomes: dict[str, int], title: str, labels: dict[str, str]) -> Markup:
    """One stacked horizontal bar of outcomes with a legend giving counts and shares; each
    outcome named by labels (the words the page's table uses, never the code)."""
    total = sum(outcomes.values())
    width, bar_h = WIDTH, 44
    height = bar_h + 20 + len(outcomes) * 34 + 8  # one legend line each: labels are words, not codes
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    x = 0.0
    for key, n in outcomes.items():
        w = width * n / total if total else 0
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{OUTCOME_COLOURS.get(key, "#6b7280")}">'
                     f'<title>{escape(labels[key])}: {n:,}</title></rect>')
        x += w
    for i, (key, n) in enumerate(outcomes.items()):
        ly = bar_h + 36 + i * 34
        share = f"{100 * n / total:.1f}%" if total else "—"
        parts.append(f'<rect x="0" y="{ly - 18}" width="22" height="22" '
                     f'fill="{OUTCOME_COLOURS.get(key, "#6b7280")}"/>'
                     f'<text x="30" y="{ly + 1}" font-size="23" fill="{INK}" class="legend">'
                     f'{escape(labels[key])}: {n:,} ({share})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
