"""Bar charts as PNG bytes (Pillow) for formats that embed images, such as the Word report.

Labels may be Vietnamese, Chinese, Korean or Japanese, so text is drawn with one font file that
covers them all (the one the PDF uses); charts are drawn at twice their display size so they
stay sharp when printed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SCALE = 2  # pixels drawn per display pixel
WIDTH = 760  # display pixels; about 16 cm at 120 dpi
BAR = "#2f6f9f"
GRID = "#d9d9d9"
INK = "#222222"
MUTED = "#666666"
MAX_LABEL_CHARS = 48
MAX_X_LABELS = 12

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class ChartFont:
    """A TrueType/OpenType font file (and face index inside a collection) for chart text."""

    path: Path
    index: int = 0

    def load(self, size: int) -> FontT:
        """The face at `size` pixels; Pillow's built-in font when the file cannot be read."""
        try:
            return ImageFont.truetype(str(self.path), size * SCALE, index=self.index)
        except OSError:
            return ImageFont.load_default(size * SCALE)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: FontT) -> float:
    return draw.textlength(text, font=font)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: FontT, width: float) -> str:
    """`text` cut with an ellipsis so it fits in `width` pixels."""
    text = text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"
    if _text_width(draw, text, font) <= width:
        return text
    while len(text) > 1 and _text_width(draw, text + "…", font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _nice_step(top: float, ticks: int = 4) -> float:
    """A round grid step (1, 2 or 5 times a power of ten) giving about `ticks` grid lines."""
    raw = max(top, 1.0) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if raw <= mult * power:
            return float(max(mult * power, 1))
    return float(10 * power)


def breakdown_chart(
    labels: Sequence[str],
    values: Sequence[float],
    font: ChartFont,
    value_label: Callable[[float], str] = str,
) -> bytes:
    """Horizontal bars, one row per label (largest first as given), value written at the end."""
    s = SCALE
    face = font.load(13)
    row, pad = 26 * s, 8 * s
    height = max(len(labels), 1) * row + 2 * pad
    image = Image.new("RGB", (WIDTH * s, height), "white")
    draw = ImageDraw.Draw(image)
    label_w = min(max((_text_width(draw, t, face) for t in labels), default=0.0), WIDTH * s * 0.42)
    value_w = max((_text_width(draw, value_label(v), face) for v in values), default=0.0)
    bar_x = pad + label_w + 10 * s
    bar_room = max(WIDTH * s - bar_x - value_w - 2 * pad, 10 * s)
    top = max(values, default=0) or 1
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = pad + i * row
        mid = y + row / 2
        draw.text((pad, mid), _fit(draw, label, face, label_w), font=face, fill=INK, anchor="lm")
        length = bar_room * value / top
        if length > 0:
            draw.rectangle((bar_x, y + 5 * s, bar_x + max(length, s), y + row - 5 * s), fill=BAR)
        draw.text(
            (bar_x + length + 6 * s, mid), value_label(value), font=face, fill=MUTED, anchor="lm"
        )
    return _png(image)


def volume_chart(
    labels: Sequence[str],
    values: Sequence[float],
    font: ChartFont,
    value_label: Callable[[float], str] = str,
) -> bytes:
    """Vertical bars over time (one per day), with a light value grid; at most a dozen date
    labels are written so long periods stay legible."""
    s = SCALE
    face, small = font.load(12), font.load(11)
    width, height = WIDTH * s, 260 * s
    left, right, top_pad, bottom = 48 * s, 12 * s, 24 * s, 34 * s
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max(values, default=0)
    step = _nice_step(peak)
    ceiling = max(step * math.ceil(peak / step), step)
    tick = 0.0
    while tick <= ceiling + 1e-9:
        y = top_pad + plot_h - plot_h * tick / ceiling
        draw.line((left, y, width - right, y), fill=GRID, width=s)
        draw.text((left - 6 * s, y), value_label(tick), font=small, fill=MUTED, anchor="rm")
        tick += step
    n = max(len(values), 1)
    slot = plot_w / n
    every = max(1, math.ceil(n / MAX_X_LABELS))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x0 = left + i * slot + slot * 0.15
        x1 = left + (i + 1) * slot - slot * 0.15
        y = top_pad + plot_h - plot_h * value / ceiling
        if value > 0:
            draw.rectangle((x0, y, max(x1, x0 + s), top_pad + plot_h), fill=BAR)
            if n <= 16:
                draw.text(
                    ((x0 + x1) / 2, y - 3 * s),
                    value_label(value),
                    font=small,
                    fill=INK,
                    anchor="mb",
                )
        if i % every == 0:
            draw.text(
                ((x0 + x1) / 2, top_pad + plot_h + 6 * s),
                label,
                font=face,
                fill=MUTED,
                anchor="mt",
            )
    draw.line((left, top_pad + plot_h, width - right, top_pad + plot_h), fill=INK, width=s)
    return _png(image)
