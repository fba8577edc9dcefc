"""A small, dependency-free SVG line chart, drawn on the server (no plotting library, no JS).

Colours come from CSS classes (``series-0`` …) so the markup carries no inline styles and works
under a strict Content-Security-Policy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from app.web.charts import nice_step


@dataclass(frozen=True)
class Series:
    label: str
    xs: np.ndarray
    ys: np.ndarray
    dashed: bool = False


@dataclass(frozen=True)
class Marker:
    """A dot on the chart (e.g. one example's margin and loss)."""

    x: float
    y: float
    label: str


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi], about ``count`` of them (steps of 1, 2 or 5 × 10^k).

    >>> nice_ticks(-5.0, 5.0)
    [-4.0, -2.0, 0.0, 2.0, 4.0]
    """
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    step = nice_step(raw)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12) + 0.0)
        value += step
    return ticks


def _fmt(value: float) -> str:
    return f"{value:g}"


def line_chart(
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    x_label: str,
    y_label: str,
    y_limits: tuple[float, float] | None = None,
    markers: Sequence[Marker] = (),
    width: int = 640,
    height: int = 360,
) -> str:
    """An accessible inline ``<svg>`` with axes, ticks, a zero line, one polyline per series,
    optional markers and a legend. Values outside ``y_limits`` are clipped, not dropped."""
    left, right, top, bottom = 56, 16, 16, 44
    legend_height = 20 * ((len(series) + 2) // 3)
    plot_w, plot_h = width - left - right, height - top - bottom
    total_h = height + legend_height
    xs_all = np.concatenate([s.xs for s in series])
    x_lo, x_hi = float(xs_all.min()), float(xs_all.max())
    if y_limits is None:
        ys_all = np.concatenate([s.ys for s in series])
        y_lo, y_hi = float(ys_all.min()), float(ys_all.max())
        pad = (y_hi - y_lo) * 0.05 or 1.0
        y_lo, y_hi = y_lo - pad, y_hi + pad
    else:
        y_lo, y_hi = y_limits

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        y = min(max(y, y_lo - (y_hi - y_lo)), y_hi + (y_hi - y_lo))  # keep paths sane
        return top + (y_hi - y) / (y_hi - y_lo) * plot_h

    out = [
        f'<svg class="loss-chart" viewBox="0 0 {width} {total_h}" role="img" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<defs><clipPath id="{chart_id}-clip"><rect x="{left}" y="{top}" width="{plot_w}" '
        f'height="{plot_h}"/></clipPath></defs>',
        f'<rect class="plot-area" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>',
    ]
    for tick in nice_ticks(x_lo, x_hi):
        x = px(tick)
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}"/>')
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{_fmt(tick)}</text>"
        )
    for tick in nice_ticks(y_lo, y_hi):
        y = py(tick)
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_fmt(tick)}</text>"
        )
    if y_lo < 0 < y_hi:
        out.append(
            f'<line class="zero" x1="{left}" y1="{py(0):.1f}" x2="{left + plot_w}" '
            f'y2="{py(0):.1f}"/>'
        )
    if x_lo < 0 < x_hi:
        out.append(
            f'<line class="zero" x1="{px(0):.1f}" y1="{top}" x2="{px(0):.1f}" y2="{top + plot_h}"/>'
        )
    out.append(f'<g clip-path="url(#{chart_id}-clip)">')
    for index, s in enumerate(series):
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(s.xs, s.ys, strict=True))
        dashed = " dashed" if s.dashed else ""
        out.append(
            f'<polyline class="series series-{index}{dashed}" points="{points}">'
            f"<title>{escape(s.label)}</title></polyline>"
        )
    for marker in markers:
        if x_lo <= marker.x <= x_hi:
            out.append(
                f'<circle class="marker" cx="{px(marker.x):.1f}" cy="{py(marker.y):.1f}" r="4">'
                f"<title>{escape(marker.label)}</title></circle>"
            )
    out.append("</g>")
    out.append(
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{top + plot_h + 36}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text class="axis-label" x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    for index, s in enumerate(series):
        col, row = index % 3, index // 3
        x, y = left + col * (plot_w / 3), height + 14 + row * 20
        dashed = " dashed" if s.dashed else ""
        out.append(
            f'<line class="series series-{index}{dashed}" x1="{x:.1f}" y1="{y - 4}" '
            f'x2="{x + 18:.1f}" y2="{y - 4}"/>'
        )
        out.append(f'<text class="legend" x="{x + 24:.1f}" y="{y}">{escape(s.label)}</text>')
    out.append("</svg>")
    return "\n".join(out)
