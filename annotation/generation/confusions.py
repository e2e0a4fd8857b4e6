"""Which MA-52 labels make good FMAR distractors for a key: its near confusions first.

Preference, most confusable first: the documented confusable pairs below, then the
other labels of the same body part (coarse category), then labels of a neighbouring
body part (the head, limbs or body touched by a hand), then the rest.
"""

from __future__ import annotations

import random

from annotation.domain.taxonomy import FINE_LABELS, FineLabel

# Pairs that annotators and models mix up: similar motion of the same part, or the
# same part with a different contact (touching vs scratching), or opposite directions
# of one motion (stretching vs retracting). Symmetric; keep the whole table here.
CONFUSABLE_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("B4", "B3", "tilting vs turning head"),
    ("B1", "B5", "nodding vs bowing head"),
    ("B1", "B6", "nodding vs head up"),
    ("B2", "B3", "shaking vs turning head"),
    ("A1", "A2", "shaking body vs turning around"),
    ("A3", "A5", "sitting straightly vs rising up"),
    ("A4", "A1", "shrugging vs shaking body"),
    ("C4", "C10", "stretching vs retracting arms"),
    ("D4", "D2", "stretching vs retracting feet"),
    ("D1", "D4", "tiptoe vs stretching feet"),
    ("D5", "D8", "closing vs crossing legs"),
    ("D5", "D6", "closing vs spreading legs"),
    ("D7", "D2", "curling legs vs retracting feet"),
    ("D3", "G2", "shaking vs patting legs"),
    ("G1", "G3", "touching vs scratching legs"),
    ("G1", "G2", "touching vs patting legs"),
    ("G3", "G4", "scratching legs vs feet"),
    ("F1", "F2", "touching nose vs touching face"),
    ("F9", "F10", "covering mouth vs covering face"),
    ("F1", "F9", "touching nose vs covering mouth"),
    ("F6", "F5", "rubbing eyes vs pushing glasses"),
    ("F7", "F3", "touching forehead vs tidying hair"),
    ("F4", "F3", "touching hindbrain vs tidying hair"),
    ("F8", "F4", "touching ears vs touching hindbrain"),
    ("E2", "E6", "touching neck vs touching shoulder"),
    ("E3", "E6", "touching back vs touching shoulder"),
    ("E4", "E5", "arms akimbo vs crossing arms"),
    ("C6", "E6", "scratching arms vs touching shoulder"),
    ("C11", "E1", "pointing oneself vs touching chest"),
    ("C13", "C3", "rubbing hands vs hands touching fingers"),
    ("C9", "C13", "putting hands together vs rubbing hands"),
    ("C12", "C2", "clenching fist vs other finger movements"),
    ("C1", "C7", "illustrative gestures vs spreading hands"),
    ("C5", "C1", "waving vs illustrative gestures"),
)

# Body parts whose labels share a moving part: a hand touching the head is close to the head, ...
NEIGHBOUR_PARTS = {"A": "ED", "B": "F", "C": "E", "D": "G", "E": "CA", "F": "B", "G": "D"}


def confusable_with(code: str) -> list[str]:
    return [b if a == code else a for a, b, _ in CONFUSABLE_PAIRS if code in (a, b)]


def _preference_tiers(key: FineLabel) -> list[list[str]]:
    pairs = confusable_with(key.code)
    same_part = [f.code for f in FINE_LABELS.values() if f.coarse == key.coarse]
    neighbours = [f.code for f in FINE_LABELS.values() if f.coarse in NEIGHBOUR_PARTS[key.coarse]]
    return [pairs, same_part, neighbours, list(FINE_LABELS)]


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
