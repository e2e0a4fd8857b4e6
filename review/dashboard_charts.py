"""Dashboard charts as plain data for ``templates/review/admin/_chart.html`` to draw as SVG.

A chart is a dict of shapes (rects with a hover title, text, grid lines, polylines) and a
legend; the template escapes every text, so names typed by people are safe to show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from django.template.defaultfilters import pluralize

from .charts import PALETTE

LEFT, TOP, PLOT_HEIGHT = 44, 10, 160
BAR, GAP = 26, 16
CHAR_WIDTH = 6.5


def _nice_top(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _chart(*, label: str, width: float, height: float) -> dict:
    return {
        "label": label,
        "width": round(width),
        "height": round(height),
        "rects": [],
        "texts": [],
        "lines": [],
        "polylines": [],
        "legend": [],
    }


def _y_axis(chart: dict, *, top_value: float, suffix: str = "") -> None:
    for n in range(5):
        value = top_value * n / 4
        y = TOP + PLOT_HEIGHT * (1 - n / 4)
        chart["lines"].append({"x1": LEFT - 4, "x2": chart["width"], "y1": y, "y2": y})
        chart["texts"].append({"x": LEFT - 8, "y": y, "text": f"{value:g}{suffix}", "cls": "tick"})


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    label: str,
    percent: bool = False,
    colours: Sequence[str] = PALETTE,
) -> dict:
    """One bar per category, one coloured segment per series; ``percent`` scales each bar to 100 %.

    A series keeps its colour by its place in ``series`` (``colours``, cycled: pass colours that mean
    something when the series do, as decisions); series with no value are left out of the legend.
    """
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    top_value = 100 if percent else _nice_top(max(totals, default=0))
    step = max(BAR + GAP, max((len(c) for c in categories), default=0) * CHAR_WIDTH + 8)
    chart = _chart(label=label, width=LEFT + len(categories) * step + GAP, height=TOP + PLOT_HEIGHT + 30)
    _y_axis(chart, top_value=top_value, suffix=" %" if percent else "")
    for i, category in enumerate(categories):
        x, base = LEFT + GAP + i * step + (step - GAP - BAR) / 2, TOP + PLOT_HEIGHT
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            shown = 100 * value / totals[i] if percent else value
            height = PLOT_HEIGHT * shown / top_value
            base -= height
            title = f"{category} · {name}: {value:g}" + (f" ({shown:.0f} %)" if percent else "")
            chart["rects"].append(
                {"x": x, "y": base, "width": BAR, "height": height, "colour": colours[s % len(colours)], "title": title}
            )
        chart["texts"].append({"x": x + BAR / 2, "y": TOP + PLOT_HEIGHT + 16, "text": category, "cls": "axis-label"})
    chart["legend"] = [
        {"name": name, "colour": colours[s % len(colours)]} for s, (name, values) in enumerate(series) if any(values)
    ]
    return chart


def horizontal_bars(rows: Sequence[tuple[str, float]], *, label: str, suffix: str = "") -> dict:
    """One labelled bar per row, longest value full width; the value is written after the bar."""
    label_width = max((len(name) for name, _ in rows), default=4) * CHAR_WIDTH + 12
    bar_space, row_height = 320, 20
    chart = _chart(label=label, width=label_width + bar_space + 60, height=TOP * 2 + row_height * len(rows))
    top_value = max((value for _, value in rows), default=0) or 1
    for n, (name, value) in enumerate(rows):
        y = TOP + n * row_height
        width = bar_space * value / top_value
        chart["rects"].append(
            {
                "x": label_width,
                "y": y + 3,
                "width": width,
                "height": row_height - 6,
                "colour": PALETTE[0],
                "title": f"{name}: {value:g}{suffix}",
            }
        )
        chart["texts"].append({"x": label_width - 6, "y": y + row_height / 2, "text": name, "cls": "tick"})
        chart["texts"].append(
            {"x": label_width + width + 4, "y": y + row_height / 2, "text": f"{value:g}{suffix}", "cls": "value"}
        )
    return chart


def timeline(days: Sequence[tuple[date, int]], *, label: str) -> dict:
    """Bars per day (every day from the first to the last, empty days included) and the running total as a line."""
    if not days:
        return _chart(label=label, width=LEFT, height=TOP)
    counts = dict(days)
    first, last = days[0][0], days[-1][0]
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    step = max(3.0, min(BAR + GAP, 640 / len(span)))
    chart = _chart(label=label, width=max(LEFT + step * len(span) + 60, 160), height=TOP + PLOT_HEIGHT + 30)
    top_value = _nice_top(max(counts.values()))
    _y_axis(chart, top_value=top_value)
    total, points, grand_total = 0, [], sum(counts.values())
    for n, day in enumerate(span):
        x, value = LEFT + n * step, counts.get(day, 0)
        total += value
        height = PLOT_HEIGHT * value / top_value
        chart["rects"].append(
            {
                "x": x + step * 0.15,
                "y": TOP + PLOT_HEIGHT - height,
                "width": step * 0.7,
                "height": height,
                "colour": PALETTE[0],
                "title": f"{day.isoformat()}: {value} review{pluralize(value)}, {total} in all",
            }
        )
        points.append(f"{x + step / 2:.1f},{TOP + PLOT_HEIGHT * (1 - total / grand_total):.1f}")
    chart["polylines"].append({"points": " ".join(points), "colour": PALETTE[1]})
    chart["texts"].append({"x": LEFT, "y": TOP + PLOT_HEIGHT + 16, "text": first.isoformat(), "cls": "axis-start"})
    if last != first:
        chart["texts"].append(
            {"x": LEFT + step * len(span), "y": TOP + PLOT_HEIGHT + 16, "text": last.isoformat(), "cls": "tick"}
        )
    chart["texts"].append({"x": LEFT + step * len(span) + 4, "y": TOP, "text": f"{grand_total} in all", "cls": "value"})
    chart["legend"] = [
        {"name": "reviews per day", "colour": PALETTE[0]},
        {"name": "cumulative (right end = all)", "colour": PALETTE[1]},
    ]
    return chart
