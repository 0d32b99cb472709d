"""Chart geometry for the HTML report (pure): bars as rectangles in SVG user units, drawn by
templates/reports/scorecard.html.j2."""

from __future__ import annotations

import math

from onetouch.render import dollars
from onetouch.scorecard.models import Frozen, Scorecard

WIDTH = 760
PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM = 48, 16, 36
ROW_HEIGHT, LABEL_WIDTH, VALUE_WIDTH = 26, 170, 110


class Bar(Frozen):
    x: float
    y: float
    width: float
    height: float
    series: int
    label: str
    value: str


class Tick(Frozen):
    position: float
    label: str


class Chart(Frozen):
    title: str
    kind: str  # columns | rows
    width: int
    height: int
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...] = ()
    y_ticks: tuple[Tick, ...] = ()
    legend: tuple[str, ...] = ()
    left: float = 0
    right: float = 0
    baseline: float = 0
    empty: bool = False


def nice_top(value: float) -> int:
    """A round axis maximum at or above the value whose half is a whole number: 2, 4, 6…, 12,
    16, 20, 30…"""
    if value <= 10:
        return max(2, math.ceil(value / 2) * 2)
    power = 10 ** math.floor(math.log10(value))
    return next(round(step * power) for step in (1.2, 1.6, 2, 3, 4, 5, 6, 8, 10)
                if step * power >= value)


def columns(title: str, labels: list[str], series: dict[str, list[int]],
            height: int = 260, colour: int = 0) -> Chart:
    """Grouped vertical bars: one group per label, one bar per series."""
    top = nice_top(max([v for values in series.values() for v in values] + [0]))
    plot_w, plot_h = WIDTH - PLOT_LEFT - 8, height - PLOT_TOP - PLOT_BOTTOM
    group = plot_w / max(1, len(labels))
    bar_w = group * 0.8 / max(1, len(series))
    bars = []
    for s, (name, values) in enumerate(series.items()):
        for i, value in enumerate(values):
            h = plot_h * value / top
            bars.append(Bar(x=round(PLOT_LEFT + i * group + group * 0.1 + s * bar_w, 1),
                            y=round(PLOT_TOP + plot_h - h, 1), width=round(bar_w, 1),
                            height=round(h, 1), series=colour + s, label=f"{labels[i]} {name}",
                            value=str(value)))
    x_ticks = tuple(Tick(position=round(PLOT_LEFT + (i + 0.5) * group, 1), label=label)
                    for i, label in enumerate(labels) if i % 3 == 0)
    y_ticks = tuple(Tick(position=round(PLOT_TOP + plot_h * (1 - f), 1),
                         label=f"{top * f:g}") for f in (0, 0.5, 1))
    return Chart(title=title, kind="columns", width=WIDTH, height=height, bars=tuple(bars),
                 x_ticks=x_ticks, y_ticks=y_ticks,
                 legend=tuple(series) if len(series) > 1 else (), left=PLOT_LEFT,
                 right=PLOT_LEFT + plot_w, baseline=PLOT_TOP + plot_h,
                 empty=not any(v for values in series.values() for v in values))


def rows(title: str, items: list[tuple[str, int, str]]) -> Chart:
    """Horizontal bars, one per (label, value, value as shown)."""
    top = max([value for _, value, _ in items] + [0]) or 1
    plot_w = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(Bar(x=LABEL_WIDTH, y=8 + i * ROW_HEIGHT, width=round(plot_w * value / top, 1),
                     height=ROW_HEIGHT - 8, series=0, label=label, value=shown)
                 for i, (label, value, shown) in enumerate(items))
    return Chart(title=title, kind="rows", width=WIDTH,
                 height=16 + max(1, len(items)) * ROW_HEIGHT, bars=bars, empty=not items)


def charts(card: Scorecard) -> list[Chart]:
    """By hour (contacts, then remediations, each on its own scale), by intent, by detector."""
    hours = [f"{h.hour:02d}:00" for h in card.hourly]
    return [
        columns("Contacts by hour (UTC)", hours, {"contacts": [h.contacts for h in card.hourly]},
                height=200),
        columns("Remediations by hour (UTC)", hours,
                {"remediations": [h.remediations for h in card.hourly]}, height=200, colour=1),
        rows("Contacts by intent", [(c.name, c.count, str(c.count)) for c in card.by_intent]),
        rows("Remediated by detector", [
            (m.name, m.cents, f"{dollars(m.cents)} ({m.count})") for m in card.by_detector]),
    ]
