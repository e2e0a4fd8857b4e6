"""Median and 95th percentile of timings, as benches print them."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary_ms(samples: list[float]) -> str:
    """'median 4.1 ms, p95 9.8 ms (n=300)' for timings in seconds."""
    return (
        f"median {1000 * statistics.median(samples):.1f} ms, p95 {1000 * percentile(samples, 0.95):.1f} ms "
        f"(n={len(samples)})"
    )
