"""Confidence intervals of the datasheet: Wilson's for a proportion, a seeded percentile bootstrap
for a statistic of units (pure functions, no ORM)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

Z95 = 1.959963984540054  # the standard normal quantile of 0.975


def wilson_interval(successes: int, trials: int, *, z: float = Z95) -> tuple[float, float] | None:
    """Wilson's score interval of ``successes / trials`` (proportions 0-1); None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) of sorted values, interpolated linearly between ranks."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bootstrap_interval(
    count: int,
    statistic: Callable[[np.ndarray], float | None],
    *,
    seed: int,
    resamples: int,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """The percentile bootstrap interval of ``statistic`` over ``count`` units resampled with replacement:
    each resample is an array of ``count`` unit indices drawn by ``numpy.random.default_rng(seed)``, so the
    same units in the same order and the same seed give the same interval. Resamples where the statistic
    is undefined (None) are left out; None when every one is, or without units."""
    if count <= 0:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        value = statistic(rng.integers(0, count, size=count))
        if value is not None:
            values.append(value)
    if not values:
        return None
    values.sort()
    tail = (1 - level) / 2
    return percentile(values, tail), percentile(values, 1 - tail)
