"""Report charts as inline SVG strings: pure Python, no external resources, accessible (a
<title> and <desc> named by aria-labelledby, every label and value as real text)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

Formatter = Callable[[float], str]

WIDTH = 640
BAR_COLOUR = "#2f6690"
GRID_COLOUR = "#d0d7de"
TEXT_COLOUR = "#1f2328"
LINE_ABOVE = 62  # more points than this: a line chart reads better than hairline bars
LABEL_CHARS = 32


def _plain(x: float) -> str:
    return f"{x:g}"


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg class="chart" id="{cid}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-size="11" fill="{TEXT_COLOUR}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def axis_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k, at least 1: counts are whole) so that
    `ticks` steps reach `top`."""
    raw = max(top / ticks, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= raw and float(step * power).is_integer():
            return float(step * power)
    return float(10 * power)


def volume_chart(
    points: Sequence[tuple[str, float]],
    title: str,
    desc: str,
    fmt: Formatter = _plain,
    chart_id: str = "volume",
    height: int = 220,
) -> str:
    """Articles per period step as vertical bars (a line past LINE_ABOVE points), with a
    labelled value axis and every n-th step labelled below."""
    left, right, top, bottom = 48, 12, 12, 36
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    out = _svg_open(chart_id, WIDTH, height, title, desc)
    step = axis_step(max((v for _, v in points), default=0))
    axis_top = step * 4
    for i in range(5):
        value = step * i
        y = top + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(value))}</text>'
        )
    n = len(points)
    if n:
        step_w = plot_w / n
        every = max(1, math.ceil(n / 12))
        coords = [
            (left + step_w * (i + 0.5), top + plot_h - plot_h * v / axis_top)
            for i, (_, v) in enumerate(points)
        ]
        if n > LINE_ABOVE:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{BAR_COLOUR}" stroke-width="2"/>'
            )
        for i, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
            tip = escape(f"{label}: {fmt(value)}")
            if n <= LINE_ABOVE:
                bar_w = max(step_w * 0.7, 1.0)
                out.append(
                    f'<rect x="{x - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                    f'height="{top + plot_h - y:.1f}" fill="{BAR_COLOUR}"><title>{tip}</title>'
                    "</rect>"
                )
                if value and n <= 16:
                    out.append(
                        f'<text x="{x:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
                        f"{escape(fmt(value))}</text>"
                    )
            if i % every == 0:
                out.append(
                    f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                    f"{escape(label)}</text>"
                )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    rows: Sequence[tuple[str, float]],
    title: str,
    desc: str,
    fmt: Formatter = _plain,
    chart_id: str = "bars",
) -> str:
    """A horizontal bar per row (label, bar, value), in the order given."""
    left, right, row_h, top = 200, 56, 22, 6
    height = top * 2 + row_h * max(len(rows), 1)
    plot_w = WIDTH - left - right
    out = _svg_open(chart_id, WIDTH, height, title, desc)
    largest = max((v for _, v in rows), default=0) or 1
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        shown = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        bar = plot_w * value / largest
        out.append(
            f'<text x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{bar:.1f}" height="{row_h - 6}" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{left + bar + 6:.1f}" y="{y + row_h / 2 + 4:.1f}">'
            f"{escape(fmt(value))}</text>"
        )
    out.append("</svg>")
    return "".join(out)
