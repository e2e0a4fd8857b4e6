"""FMAR distractors as template-generator 1.0 drew them; no generator draws them any more.

1.0 took the 4 distractors in tiers of preference around the key: its documented confusable
labels first, then the other labels of its body part, then of a neighbouring part, then any,
random only within a tier. The option set was thus a function of the key, and tells which of
its labels was the key: for 254 of 1,404 generated items only one could be. Kept to recognise
such items (``key_inference``, for lint on imported data) and to measure the difference
(tests, ``bench/key_inference.py``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from functools import cache

from annotation.domain.taxonomy import FINE_LABELS, FineLabel

from .balance import shuffled_with_key
from .confusions import confusable_with

VERSION = "template-generator 1.0"
# Body parts whose labels share a moving part: a hand touching the head is close to the head, ...
NEIGHBOUR_PARTS = {"A": "ED", "B": "F", "C": "E", "D": "G", "E": "CA", "F": "B", "G": "D"}


@cache
def _preference_tiers(key: FineLabel) -> tuple[tuple[str, ...], ...]:
    pairs = confusable_with(key.code)
    same_part = [f.code for f in FINE_LABELS.values() if f.coarse == key.coarse]
    neighbours = [f.code for f in FINE_LABELS.values() if f.coarse in NEIGHBOUR_PARTS[key.coarse]]
    return tuple(map(tuple, (pairs, same_part, neighbours, list(FINE_LABELS))))


def distractors(key_code: str, rng: random.Random, count: int = 4) -> list[str]:
    """``count`` distinct label codes other than the key, nearest confusions first;
    within one tier of preference the draw is random."""
    chosen: list[str] = []
    for tier in _preference_tiers(FINE_LABELS[key_code]):
        candidates = sorted(set(tier) - set(chosen) - {key_code})
        rng.shuffle(candidates)
        chosen += candidates[: count - len(chosen)]
        if len(chosen) == count:
            break
    return chosen


def fmar_options(key_code: str, rng: random.Random) -> tuple[list[str], str]:
    """An FMAR option list (label names) and its key letter, drawn as 1.0 drew them."""
    names = [FINE_LABELS[code].name for code in (key_code, *distractors(key_code, rng))]
    return shuffled_with_key(names, names[0], rng)


def likelihood(key_code: str, option_codes: Collection[str]) -> float:
    """The probability that 1.0 draws these options (in any order) for the key ``key_code``:
    tier by tier, a tier that fits is taken whole, and the tier that fills the set is sampled."""
    wanted = set(option_codes) - {key_code}
    if key_code not in option_codes or len(wanted) != len(option_codes) - 1:
        return 0.0
    chosen: set[str] = set()
    room = len(wanted)
    for tier in _preference_tiers(FINE_LABELS[key_code]):
        candidates = set(tier) - chosen - {key_code}
        if len(candidates) < room:
            if not candidates <= wanted:
                return 0.0
            chosen |= candidates
            room -= len(candidates)
            continue
        rest = wanted - chosen
        return 1 / math.comb(len(candidates), room) if rest <= candidates else 0.0
    return 0.0
