"""Agreement between reviewers on categorical judgements (blind answers, accept/reject).

``ratings`` is one list per unit (item): the labels its reviewers gave. Percent agreement
and Cohen's kappa (two reviewers) and Fleiss' kappa (any fixed number) follow their
textbook definitions; Krippendorff's alpha (any number, missing ratings allowed) comes
from the ``krippendorff`` package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import krippendorff
import numpy as np


def percent_agreement(ratings: Sequence[Sequence[str]]) -> float:
    """Share of units on which every reviewer gave the same label."""
    units = [r for r in ratings if len(r) >= 2]
    return sum(len(set(r)) == 1 for r in units) / len(units) if units else float("nan")


def cohen_kappa(ratings: Sequence[Sequence[str]]) -> float:
    pairs = [r for r in ratings if len(r) == 2]
    if not pairs:
        return float("nan")
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first.keys() | second.keys()) / n**2
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def fleiss_kappa(ratings: Sequence[Sequence[str]]) -> float:
    units = [Counter(r) for r in ratings]
    raters = {sum(u.values()) for u in units}
    if len(raters) != 1 or min(raters) < 2:
        raise ValueError("Fleiss' kappa needs the same number (at least 2) of ratings per unit")
    m, n = raters.pop(), len(units)
    labels = set().union(*units)
    p_label = {label: sum(u[label] for u in units) / (n * m) for label in labels}
    p_units = [(sum(c * c for c in u.values()) - m) / (m * (m - 1)) for u in units]
    observed, expected = sum(p_units) / n, sum(p * p for p in p_label.values())
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def krippendorff_alpha(ratings: Sequence[Sequence[str]]) -> float:
    labels = sorted({label for r in ratings for label in r})
    if len(labels) < 2:
        return 1.0
    width = max(len(r) for r in ratings)
    data = np.full((width, len(ratings)), np.nan)
    for unit, labels_given in enumerate(ratings):
        for rater, label in enumerate(labels_given):
            data[rater, unit] = labels.index(label)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
