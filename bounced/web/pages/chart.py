"""Events per day by kind as an SVG bar chart, drawn on the server: no script, no CDN, no build step.

Pure: counts in, markup out (every text escaped). Bars are stacked by kind in a fixed order and
each bar carries a <title>, so a screen reader and a mouse hover both read the numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

KINDS = ("hard", "soft", "complaint")
COLOURS = {"hard": "#b3261e", "soft": "#e8a33d", "complaint": "#6a4fb3"}


@dataclass(frozen=True, slots=True)
class DayCounts:
    day: str  # YYYY-MM-DD
    hard: int = 0
    soft: int = 0
    complaint: int = 0

    @property
    def total(self) -> int:
        return self.hard + self.soft + self.complaint


def _nice_max(n: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least ``n``."""
    top = 1
    while True:
        for m in (1, 2, 5):
            if top * m >= n:
                return top * m
        top *= 10


def bar_chart(days: Sequence[DayCounts], labels: dict[str, str], title: str, width: int = 720,
              height: int = 220) -> str:
    """Stacked bars, one per day, oldest left; ``labels`` names the kinds in the reader's language."""
    left, bottom, top_pad = 40, 24, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    peak = _nice_max(max((d.total for d in days), default=0) or 1)
    n = max(len(days), 1)
    slot = plot_w / n
    bar = max(slot * 0.8, 1.0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for frac in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{peak * frac:g}</text>')
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top_pad + plot_h
        parts = ", ".join(f"{labels.get(k, k)} {getattr(d, k)}" for k in KINDS)
        out.append(f'<g><title>{escape(d.day)}: {escape(parts)}</title>')
        for k in KINDS:
            h = plot_h * getattr(d, k) / peak
            if h > 0:
                y -= h
                out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{COLOURS[k]}"/>')
        out.append("</g>")
        if len(days) <= 14 or i % max(len(days) // 7, 1) == 0:
            out.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="11">'
                       f'{escape(d.day[5:])}</text>')
    out.append("</svg>")
    return "".join(out)


def fill_days(rows: Sequence[dict], first: str, last: str) -> list[DayCounts]:
    """Store rows grouped by day (``day``, ``hard``, ``soft``, ``complaint``), with empty days filled in."""
    from datetime import date, timedelta

    by_day = {r["day"]: r for r in rows}
    d, end, out = date.fromisoformat(first), date.fromisoformat(last), []
    while d <= end:
        r = by_day.get(d.isoformat(), {})
        out.append(DayCounts(d.isoformat(), int(r.get("hard") or 0), int(r.get("soft") or 0),
                             int(r.get("complaint") or 0)))
        d += timedelta(days=1)
    return out
