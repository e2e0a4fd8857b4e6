"""The datasheet's agreement bootstrap (1000 resamples, seeded) at 1,200 and 12,000 units of two blind
answers each, inside the cut, beside the krippendorff package's alpha of the whole data 1000 times (a
bootstrap that asks the package once per resample, as the first version did). No database is needed."""

from __future__ import annotations

import random
import time

import throwaway_database  # noqa: F401  (django.setup())

from review.agreement import krippendorff_alpha_of_counts, label_counts  # noqa: E402
from review.selectors.datasheet_sections import BOOTSTRAP_RESAMPLES, _agreement  # noqa: E402


def units_of(n: int) -> list[list[str]]:
    rng = random.Random(1)
    labels = "ABCDE"
    return [
        [rng.choice(labels)] * 2 if rng.random() < 0.8 else [rng.choice(labels), rng.choice(labels)] for _ in range(n)
    ]


def main() -> None:
    for n in (1_200, 12_000):
        units = units_of(n)
        start = time.perf_counter()
        _agreement(units, interval=True)
        seconds = time.perf_counter() - start
        counts = label_counts(units)
        start = time.perf_counter()
        for _ in range(BOOTSTRAP_RESAMPLES):
            krippendorff_alpha_of_counts(counts)
        floor = time.perf_counter() - start
        print(
            f"{n:>6} units: bootstrap of kappa and alpha {seconds:6.2f} s   package alpha x {BOOTSTRAP_RESAMPLES} {floor:6.2f} s"
        )


if __name__ == "__main__":
    main()
