"""Chart geometry for the reports: numbers in, pixel coordinates out.

The SVG itself is drawn by the macros in templates/charts.html, so every label passes
through Jinja's autoescaping; this module only scales values, picks ticks and colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D1F", "#000000")
POLARITY_COLOURS = {"negative": "#D55E00", "neutral": "#9CA3AF", "positive": "#009E73"}
TRAJECTORY_COLOURS = {"improved": "#009E73", "stable": "#9CA3AF", "worsened": "#D55E00", "unknown": "#E5E7EB"}
FAMILY_COLOURS = {"avoidable": "#D55E00", "assistance": "#0072B2", "selfcare": "#009E73",
                  "mandatory": "#CC79A7", "unknown": "#9CA3AF"}

Format = Callable[[float], str]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values covering [low, high] (a single value gets a range around it)."""
    if high <= low:
        pad = abs(low) * 0.1
        low, high = (low - pad, high + pad) if pad else (low, low + 1)
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def thin(labels: Sequence[str], keep: int = 8) -> list[tuple[int, str]]:
    """(index, label) for at most about `keep` evenly spaced labels, always the first and last."""
    if not labels:
        return []
    step = max(1, math.ceil(len(labels) / keep))
    chosen = list(range(0, len(labels), step))
    if chosen[-1] != len(labels) - 1:
        if len(labels) - 1 - chosen[-1] < step / 2 and len(chosen) > 1:
            chosen[-1] = len(labels) - 1
        else:
            chosen.append(len(labels) - 1)
    return [(i, labels[i]) for i in chosen]


@dataclass
class Tick:
    pos: float
    label: str


@dataclass
class Point:
    x: float
    y: float
    title: str
    colour: str


@dataclass
class Line:
    name: str
    colour: str
    path: str
    points: list[Point]


@dataclass
class Marker:
    """A vertical line (an event, a signal) with a short number and a full label."""

    x: float
    number: str
    label: str


@dataclass
class LineChart:
    title: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]
    markers: list[Marker] = field(default_factory=list)
    zero: float | None = None
    bands: list[tuple[float, float, str]] = field(default_factory=list)  # (y_top, y_bottom, colour)


@dataclass
class SeriesData:
    """One line: x and y values (None leaves a gap), optional hover titles and point colours."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float | None]
    titles: Sequence[str] | None = None
    colour: str | None = None
    point_colours: Sequence[str] | None = None


def line_chart(series: Sequence[SeriesData], *, title: str, x_ticks: Sequence[tuple[float, str]] | None = None,
               x_format: Format = lambda v: f"{v:g}", y_min: float | None = None, y_max: float | None = None,
               y_format: Format = lambda v: f"{v:g}", markers: Sequence[tuple[float, str]] = (),
               polarity_bands: bool = False, width: int = 1100, height: int = 280) -> LineChart:
    """Lines over a shared x axis; markers are labelled vertical lines (events)."""
    left, top, right, bottom = 48.0, 14.0, width - 14.0, height - 30.0
    xs = [x for s in series for x in s.xs] + [m[0] for m in markers] + [t[0] for t in x_ticks or ()]
    ys = [y for s in series for y in s.ys if y is not None]
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_high == x_low:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    y_values = nice_ticks(min(ys + ([y_min] if y_min is not None else [])) if ys else (y_min or 0.0),
                          max(ys + ([y_max] if y_max is not None else [])) if ys else (y_max or 1.0), 4)
    y_values = [v for v in y_values if (y_min is None or v >= y_min - 1e-9) and (y_max is None or v <= y_max + 1e-9)]
    y_low, y_high = min(y_values[0], y_min if y_min is not None else y_values[0]), y_values[-1]
    if y_high == y_low:
        y_high = y_low + 1

    def px(x: float) -> float:
        return round(left + (x - x_low) / (x_high - x_low) * (right - left), 1)

    def py(y: float) -> float:
        return round(bottom - (y - y_low) / (y_high - y_low) * (bottom - top), 1)

    lines = []
    for index, data in enumerate(series):
        colour = data.colour or PALETTE[index % len(PALETTE)]
        path, points, pen_down = [], [], False
        for i, (x, y) in enumerate(zip(data.xs, data.ys)):
            if y is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{px(x)},{py(y)}")
            pen_down = True
            tip = data.titles[i] if data.titles else f"{data.name}: {y_format(y)}"
            point_colour = data.point_colours[i] if data.point_colours else colour
            points.append(Point(px(x), py(y), tip, point_colour))
        lines.append(Line(data.name, colour, " ".join(path), points))
    if x_ticks is None:
        x_ticks = [(v, x_format(v)) for v in nice_ticks(x_low, x_high, 6) if x_low <= v <= x_high]
    bands = []
    if polarity_bands:
        bands = [(py(y_high), py(max(min(0.25, y_high), y_low)), "#ecfdf5"),
                 (py(min(max(-0.25, y_low), y_high)), py(y_low), "#fff7ed")]
    return LineChart(
        title=title, width=width, height=height, left=left, top=top, right=right, bottom=bottom,
        x_ticks=[Tick(px(x), label) for x, label in x_ticks],
        y_ticks=[Tick(py(y), y_format(y)) for y in y_values],
        lines=lines,
        markers=[Marker(px(x), str(i + 1), label) for i, (x, label) in enumerate(markers)],
        zero=py(0.0) if y_low < 0 < y_high else None,
        bands=bands)


@dataclass
class Segment:
    x: float
    width: float
    colour: str
    title: str


@dataclass
class BarRow:
    y: float
    label: str
    value_label: str
    segments: list[Segment]
    href: str | None = None


@dataclass
class BarChart:
    title: str
    width: int
    height: int
    label_width: float
    bar_height: float
    rows: list[BarRow]
    legend: list[tuple[str, str]] = field(default_factory=list)  # (name, colour)


def bar_chart(rows: Sequence[tuple[str, Sequence[tuple[str, float]], str]], *, title: str,
              colours: dict[str, str] | None = None, normalise: bool = False, hrefs: Sequence[str | None] = (),
              width: int = 1100, label_width: float = 230, bar_height: float = 20) -> BarChart:
    """Horizontal bars, stacked when a row has several (segment name, value) parts.

    Each row is (label, parts, value label). With `normalise`, every row spans the full width
    (shares); otherwise bars are scaled to the largest row total.
    """
    colours = dict(colours or {})
    names = list(dict.fromkeys(name for _, parts, _ in rows for name, _ in parts))
    for i, name in enumerate(names):
        colours.setdefault(name, PALETTE[i % len(PALETTE)])
    plot = width - label_width - 70
    largest = max((sum(v for _, v in parts) for _, parts, _ in rows), default=0) or 1
    out, step = [], bar_height + 8
    for i, (label, parts, value_label) in enumerate(rows):
        total = sum(v for _, v in parts) or 1
        scale = plot / (total if normalise else largest)
        x, segments = label_width, []
        for name, value in parts:
            w = round(value * scale, 1)
            share = f" ({value / total:.0%})" if len(parts) > 1 else ""
            segments.append(Segment(round(x, 1), w, colours[name], f"{label} - {name}: {value:g}{share}"))
            x += w
        out.append(BarRow(round(8 + i * step, 1), label, value_label, segments, hrefs[i] if i < len(hrefs) else None))
    legend = [(name, colours[name]) for name in names] if any(len(parts) > 1 for _, parts, _ in rows) else []
    return BarChart(title, width, int(16 + len(rows) * step), label_width, bar_height, out, legend)


@dataclass
class Dot:
    x: float
    y: float
    title: str
    notable: bool


@dataclass
class DotRow:
    y: float
    label: str
    dots: list[Dot]
    median: float | None
    median_label: str


@dataclass
class DotPlot:
    title: str
    width: int
    height: int
    left: float
    right: float
    x_ticks: list[Tick]
    rows: list[DotRow]


def dot_plot(rows: Sequence[tuple[str, Sequence[tuple[float, str]], float | None]], *, title: str,
             x_format: Format = lambda v: f"{v:g}", notable: Callable[[float, float], bool] = lambda v, m: False,
             width: int = 540) -> DotPlot:
    """One row per group (team): a dot per member (agent) and the group median as a bar.

    Each row is (label, [(value, hover title)], median); `notable(value, median)` marks dots
    far from their median.
    """
    left, right, row_height = 130.0, width - 16.0, 34.0
    values = [v for _, dots, _ in rows for v, _ in dots]
    ticks = nice_ticks(min(values, default=0.0), max(values, default=1.0), 5)
    low, high = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] + 1

    def px(v: float) -> float:
        return round(left + (v - low) / (high - low) * (right - left), 1)

    out = []
    for i, (label, dots, median) in enumerate(rows):
        y = 10 + i * row_height + row_height / 2
        placed = [Dot(px(v), round(y + ((j % 3) - 1) * 6, 1), t, median is not None and notable(v, median))
                  for j, (v, t) in enumerate(dots)]
        out.append(DotRow(y, label, placed, px(median) if median is not None else None,
                          x_format(median) if median is not None else ""))
    return DotPlot(title, width, int(10 + len(rows) * row_height + 26), left, right,
                   [Tick(px(t), x_format(t)) for t in ticks], out)


@dataclass
class Sparkline:
    width: int
    height: int
    path: str
    last: Point | None
    title: str


def sparkline(values: Sequence[float], title: str, width: int = 110, height: int = 22) -> Sparkline:
    """A small trend line (no axes); the last point is marked."""
    if not values:
        return Sparkline(width, height, "", None, title)
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    coords = [(round(2 + i * step, 1), round(height - 3 - (v - low) / span * (height - 6), 1))
              for i, v in enumerate(values)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(coords))
    return Sparkline(width, height, path, Point(coords[-1][0], coords[-1][1], title, PALETTE[0]), title)
