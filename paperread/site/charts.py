"""SVG charts, drawn when the site is built: readable without JavaScript, crisp at any size,
printable. Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its text
alternative); each bar or point carries its own ``<title>`` (shown on hover).

The charts fill the width they are given and keep their text at its size: the outer ``<svg>``
is 100 % wide with a fixed height, text is placed in percentages, and the bars and lines are
drawn in a nested ``<svg>`` whose data coordinates stretch to fit (``preserveAspectRatio=
"none"``, strokes kept thin by ``vector-effect``). So a phone shows the same chart as a desktop,
narrower, with labels it can read.

Everything that comes from the catalog goes through ``escape``; the result is ``Markup``
(already safe HTML) for the templates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from markupsafe import Markup, escape

HEIGHT = 220
PLOT_TOP = 14
PLOT_HEIGHT = 170
LABEL_Y = PLOT_TOP + PLOT_HEIGHT + 22


def _num(value: float) -> str:
    """A coordinate with no more digits than it needs."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def nice_ticks(top: float, most: int = 5) -> list[int]:
    """0 and round steps (1, 2 or 5 times a power of ten) up to at least ``top``, at most ``most`` + 1 ticks."""
    if top <= 0:
        return [0, 1]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= raw)
    step = max(1, int(step))
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def _open(kind: str, name: str, title: str, desc: str) -> list[str]:
    tid, did = f"{name}-title", f"{name}-desc"
    head = [
        f'<svg class="chart chart-{kind}" width="100%" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{tid} {did}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{tid}">{escape(title)}</title>',
        f'<desc id="{did}">{escape(desc)}</desc>',
    ]
    return head


def _grid(ticks: list[int]) -> list[str]:
    """Horizontal grid lines (drawn under the data)."""
    top = ticks[-1] or 1
    out = []
    for tick in ticks:
        y = PLOT_TOP + (1 - tick / top) * PLOT_HEIGHT
        out.append(f'<line class="grid" x1="0" x2="100%" y1="{_num(y)}" y2="{_num(y)}"/>')
    return out


def _tick_labels(ticks: list[int], unit: str) -> list[str]:
    """The grid's values at the left, above each line (drawn over the data, with a halo)."""
    top = ticks[-1] or 1
    return [
        f'<text class="tick value" x="2" y="{_num(PLOT_TOP + (1 - tick / top) * PLOT_HEIGHT - 3)}">'
        f"{tick:,}{escape(unit) if tick == top else ''}</text>"
        for tick in ticks
        if tick
    ]


def _x_label(percent: float, text: str) -> str:
    anchor = "start" if percent < 4 else "end" if percent > 96 else "middle"
    percent = min(max(percent, 0.0), 100.0)
    return f'<text class="tick" x="{_num(percent)}%" y="{LABEL_Y}" text-anchor="{anchor}">{escape(text)}</text>'


def bar_chart(
    name: str,
    title: str,
    desc: str,
    bars: Sequence[tuple[str, int]],
    *,
    labels: Sequence[tuple[int, str]] = (),
    unit: str = "",
) -> Markup:
    """Bars of whole numbers in order (e.g. videos per month), each with its label on hover;
    ``labels``: the (bar index, text) pairs written under the axis; ``name`` makes the ids unique."""
    out = _open("bars", name, title, desc)
    ticks = nice_ticks(max((v for _, v in bars), default=0))
    top = ticks[-1] or 1
    out += _grid(ticks)
    n = max(len(bars), 1)
    out.append(
        f'<svg class="plot" x="0" y="{PLOT_TOP}" width="100%" height="{PLOT_HEIGHT}" '
        f'viewBox="0 0 {n} {top}" preserveAspectRatio="none">'
    )
    for i, (label, value) in enumerate(bars):
        if value:
            out.append(
                f'<rect class="bar" x="{_num(i + 0.12)}" y="{_num(top - value)}" width="0.76" height="{_num(value)}">'
                f"<title>{escape(label)}: {value:,}{escape(unit)}</title></rect>"
            )
    out.append("</svg>")
    out += _tick_labels(ticks, unit)
    for i, text in labels:
        out.append(_x_label((i + 0.5) / n * 100, text))
    out.append("</svg>")
    return Markup("".join(out))


def month_labels(months: Sequence[str], most: int = 8) -> list[tuple[int, str]]:
    """Labels for bars of months ('YYYY-MM'): the years at their Januaries (every second or
    fifth year when there are many), or the first month when no January is shown."""
    januaries = [(i, m[:4]) for i, m in enumerate(months) if m.endswith("-01")]
    step = next((s for s in (1, 2, 5, 10, 20, 50) if len(januaries) / s <= most), 100)
    shown = [(i, year) for i, year in januaries if int(year) % step == 0]
    return shown or ([(0, months[0])] if months else [])


def line_chart(
    name: str, title: str, desc: str, points: Sequence[tuple[dt.date, int]], *, unit: str = "", step: bool = False
) -> Markup:
    """Values over time (dates need not be evenly spaced); ``step``: a count that holds until it changes."""
    out = _open("line", name, title, desc)
    ticks = nice_ticks(max((v for _, v in points), default=0))
    top = ticks[-1] or 1
    out += _grid(ticks)
    if points:
        first, last = points[0][0], points[-1][0]
        span = max((last - first).days, 1)

        def x(day: dt.date) -> float:
            return (day - first).days / span * 1000 if last != first else 500

        coords: list[tuple[float, float]] = []
        for i, (day, value) in enumerate(points):
            if step and i:
                coords.append((x(day), top - points[i - 1][1]))
            coords.append((x(day), top - value))
        out.append(
            f'<svg class="plot" x="0" y="{PLOT_TOP}" width="100%" height="{PLOT_HEIGHT}" '
            f'viewBox="0 0 1000 {top}" preserveAspectRatio="none">'
        )
        path = " ".join(f"{_num(cx)},{_num(cy)}" for cx, cy in coords)
        out.append(f'<polyline class="line" points="{path}" vector-effect="non-scaling-stroke"/>')
        out.append("</svg>")
        # Points as HTML-sized dots (percent across, pixels down), each with its value.
        for day, value in points if len(points) <= 60 else ():
            cx = x(day) / 10
            cy = PLOT_TOP + (1 - value / top) * PLOT_HEIGHT
            out.append(
                f'<circle class="dot" cx="{_num(cx)}%" cy="{_num(cy)}" r="3">'
                f"<title>{day.isoformat()}: {value:,}{escape(unit)}</title></circle>"
            )
        out += _tick_labels(ticks, unit)
        out.append(_x_label(0, first.isoformat()))
        if last != first:
            out.append(_x_label(100, last.isoformat()))
            years = list(range(first.year + 1, last.year + 1))
            every = next((s for s in (1, 2, 5, 10, 20, 50) if len(years) / s <= 6), 100)
            for year in years:
                at = x(dt.date(year, 1, 1)) / 10
                if year % every == 0 and 22 < at < 78:  # clear of the two dates at the ends
                    out.append(_x_label(at, str(year)))
    else:
        out += _tick_labels(ticks, unit)
    out.append("</svg>")
    return Markup("".join(out))


def sparkline(values: Sequence[int], label: str, *, width: int = 72, height: int = 18) -> Markup:
    """A small line of a count's history, for a table cell; ``label`` is its text alternative."""
    low, high = min(values), max(values)
    spread = (high - low) or 1
    n = len(values)
    pts = " ".join(
        f"{_num(i / (n - 1) * (width - 4) + 2)},{_num(height - 2 - (v - low) / spread * (height - 4))}"
        for i, v in enumerate(values)
    )
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        f'<polyline points="{pts}"/></svg>'
    )
