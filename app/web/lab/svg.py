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


@dataclass(frozen=True)
class _Frame:
    """The plot area and the data ranges it shows: maps data to SVG user units."""

    left: float
    top: float
    plot_w: float
    plot_h: float
    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float

    def px(self, x: float) -> float:
        return self.left + (x - self.x_lo) / (self.x_hi - self.x_lo) * self.plot_w

    def py(self, y: float) -> float:
        span = self.y_hi - self.y_lo
        y = min(max(y, self.y_lo - span), self.y_hi + span)  # keep paths sane
        return self.top + (self.y_hi - y) / span * self.plot_h


def _frame(
    series: Sequence[Series], y_limits: tuple[float, float] | None, width: int, height: int
) -> _Frame:
    left, right, top, bottom = 56, 16, 16, 44
    xs_all = np.concatenate([s.xs for s in series])
    if y_limits is None:
        ys_all = np.concatenate([s.ys for s in series])
        y_lo, y_hi = float(ys_all.min()), float(ys_all.max())
        pad = (y_hi - y_lo) * 0.05 or 1.0
        y_limits = (y_lo - pad, y_hi + pad)
    return _Frame(
        left=left,
        top=top,
        plot_w=width - left - right,
        plot_h=height - top - bottom,
        x_lo=float(xs_all.min()),
        x_hi=float(xs_all.max()),
        y_lo=y_limits[0],
        y_hi=y_limits[1],
    )


def _axes(f: _Frame) -> list[str]:
    """Grid lines and tick labels on both axes, and the zero lines inside the plot."""
    left, top, plot_w, plot_h = f.left, f.top, f.plot_w, f.plot_h
    out = []
    for tick in nice_ticks(f.x_lo, f.x_hi):
        x = f.px(tick)
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}"/>')
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{_fmt(tick)}</text>"
        )
    for tick in nice_ticks(f.y_lo, f.y_hi):
        y = f.py(tick)
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_fmt(tick)}</text>"
        )
    if f.y_lo < 0 < f.y_hi:
        out.append(
            f'<line class="zero" x1="{left}" y1="{f.py(0):.1f}" x2="{left + plot_w}" '
            f'y2="{f.py(0):.1f}"/>'
        )
    if f.x_lo < 0 < f.x_hi:
        out.append(
            f'<line class="zero" x1="{f.px(0):.1f}" y1="{top}" x2="{f.px(0):.1f}" '
            f'y2="{top + plot_h}"/>'
        )
    return out


def _lines(f: _Frame, series: Sequence[Series], markers: Sequence[Marker]) -> list[str]:
    out = []
    for index, s in enumerate(series):
        points = " ".join(f"{f.px(x):.1f},{f.py(y):.1f}" for x, y in zip(s.xs, s.ys, strict=True))
        dashed = " dashed" if s.dashed else ""
        out.append(
            f'<polyline class="series series-{index}{dashed}" points="{points}">'
            f"<title>{escape(s.label)}</title></polyline>"
        )
    for marker in markers:
        if f.x_lo <= marker.x <= f.x_hi:
            out.append(
                f'<circle class="marker" cx="{f.px(marker.x):.1f}" cy="{f.py(marker.y):.1f}" '
                f'r="4"><title>{escape(marker.label)}</title></circle>'
            )
    return out


def _labels_and_legend(
    f: _Frame, series: Sequence[Series], x_label: str, y_label: str, height: int
) -> list[str]:
    left, top, plot_w, plot_h = f.left, f.top, f.plot_w, f.plot_h
    out = [
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{top + plot_h + 36}" '
        f'text-anchor="middle">{escape(x_label)}</text>',
        f'<text class="axis-label" x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>',
    ]
    for index, s in enumerate(series):
        col, row = index % 3, index // 3
        x, y = left + col * (plot_w / 3), height + 14 + row * 20
        dashed = " dashed" if s.dashed else ""
        out.append(
            f'<line class="series series-{index}{dashed}" x1="{x:.1f}" y1="{y - 4}" '
            f'x2="{x + 18:.1f}" y2="{y - 4}"/>'
        )
        out.append(f'<text class="legend" x="{x + 24:.1f}" y="{y}">{escape(s.label)}</text>')
    return out


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
    f = _frame(series, y_limits, width, height)
    total_h = height + 20 * ((len(series) + 2) // 3)
    out = [
        f'<svg class="loss-chart" viewBox="0 0 {width} {total_h}" role="img" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<defs><clipPath id="{chart_id}-clip"><rect x="{f.left}" y="{f.top}" '
        f'width="{f.plot_w}" height="{f.plot_h}"/></clipPath></defs>',
        f'<rect class="plot-area" x="{f.left}" y="{f.top}" width="{f.plot_w}" '
        f'height="{f.plot_h}"/>',
        *_axes(f),
        f'<g clip-path="url(#{chart_id}-clip)">',
        *_lines(f, series, markers),
        "</g>",
        *_labels_and_legend(f, series, x_label, y_label, height),
        "</svg>",
    ]
    return "\n".join(out)
