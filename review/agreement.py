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


def cohen_kappa(ratings: Sequence[Sequence[str]], weights: Sequence[int] | None = None) -> float:
    """Cohen's kappa of the two-rating units; ``weights``: how many times each unit counts (a bootstrap
    resample given as distinct units and their draws), one each by default."""
    weighted = [(r, 1 if weights is None else w) for r, w in zip(ratings, weights or ratings, strict=True)]
    pairs = [(r, w) for r, w in weighted if len(r) == 2 and w]
    if not pairs:
        return float("nan")
    n = sum(w for _, w in pairs)
    observed = sum(w for (a, b), w in pairs if a == b) / n
    first: Counter[str] = Counter()
    second: Counter[str] = Counter()
    for (a, b), w in pairs:
        first[a] += w
        second[b] += w
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
    return krippendorff_alpha_of_counts(label_counts(ratings))


def label_counts(ratings: Sequence[Sequence[str]]) -> np.ndarray:
    """Units x labels: how many reviewers gave each label to each unit (``krippendorff``'s value counts).
    Rows can be resampled (``counts[rows]``) without reading the ratings again, as the datasheet's bootstrap does."""
    labels = sorted({label for r in ratings for label in r})
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(ratings), len(labels)))
    for unit, labels_given in enumerate(ratings):
        for label in labels_given:
            counts[unit, index[label]] += 1
    return counts


def coincidences(counts: np.ndarray) -> np.ndarray:
    """Per unit (row of ``label_counts``, at least two ratings each) its labels x labels coincidence matrix:
    o_ck = (n_c n_k - [c = k] n_c) / (m - 1), Krippendorff's pairable values."""
    pairable = counts.sum(axis=1) - 1
    outer = counts[:, :, None] * counts[:, None, :] - np.einsum("uc,ck->uck", counts, np.eye(counts.shape[1]))
    return outer / pairable[:, None, None]


def krippendorff_alpha_of_coincidences(matrix: np.ndarray) -> float:
    """Nominal alpha of a summed coincidence matrix: 1 - (n - 1) sum_{c!=k} o_ck / sum_{c!=k} n_c n_k;
    1.0 when only one label was ever given."""
    totals = matrix.sum(axis=1)
    n = totals.sum()
    expected = n * n - (totals * totals).sum()
    if np.count_nonzero(totals) < 2 or expected == 0:
        return 1.0
    observed = matrix.sum() - np.trace(matrix)
    return float(1 - (n - 1) * observed / expected)


def krippendorff_alpha_of_counts(counts: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) of ``label_counts``; 1.0 when only one label was ever given."""
    if np.count_nonzero(counts.sum(axis=0)) < 2:
        return 1.0
    return float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))
