"""Charts drawn on the server as SVG data: no JavaScript library, nothing fetched."""

from __future__ import annotations

from annotation.selectors.scores import CLOSED_TASKS

PALETTE = ("#2457c5", "#d9822b", "#2e9e5b", "#b23a48", "#7b5ea7", "#3a9bb2", "#8c8c8c", "#c9a227")
BAR, GAP, HEIGHT = 12, 18, 160


def accuracy_chart(rows) -> dict:
    """Grouped bars: for each closed task, one bar per run (accuracy 0-100)."""
    runs = [(run, scores) for run, scores in rows if scores.accuracy]
    group = max(len(runs), 1) * BAR + GAP
    bars = [
        {
            "x": 40 + t * group + r * BAR,
            "y": 10 + HEIGHT * (1 - scores.accuracy[task] / 100),
            "height": HEIGHT * scores.accuracy[task] / 100,
            "colour": PALETTE[r % len(PALETTE)],
            "title": f"{run.name} · {task}: {scores.accuracy[task]:.1f}%",
        }
        for t, task in enumerate(CLOSED_TASKS)
        for r, (run, scores) in enumerate(runs)
        if task in scores.accuracy
    ]
    labels = [{"x": 40 + t * group + (group - GAP) / 2, "task": task} for t, task in enumerate(CLOSED_TASKS)]
    legend = [{"name": run.name, "colour": PALETTE[r % len(PALETTE)]} for r, (run, _) in enumerate(runs)]
    ticks = [{"y": 10 + HEIGHT * (1 - v / 100), "value": v} for v in (0, 25, 50, 75, 100)]
    return {
        "width": 50 + len(CLOSED_TASKS) * group,
        "height": HEIGHT + 40,
        "bar": BAR,
        "bars": bars,
        "labels": labels,
        "legend": legend,
        "ticks": ticks,
        "baseline_y": 10 + HEIGHT,
    }
