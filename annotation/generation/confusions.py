"""Which MA-52 labels are near confusions of each other: the documented confusable pairs,
and the cycle of all 52 labels that keeps each pair next to each other, from which the
template generator draws its FMAR option sets (``option_sets``).
"""

from __future__ import annotations

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

# All 52 labels in one cycle (the last is followed by the first), each body part in one run,
# the parts in an order where touching parts meet (upper limb, body-hand, body, lower limb,
# leg-hand, head-hand, head). Within a part the order puts 31 of the 34 confusable pairs
# next to each other and the other 3 one label apart (found by a search minimising the pairs'
# distances; tests check the distances). An FMAR option set is 5 consecutive labels of it.
CONFUSION_CYCLE: tuple[str, ...] = (
    *("C7", "C1", "C5", "C3", "C13", "C9", "C12", "C2", "C8", "C10", "C4", "C11", "C6"),
    *("E1", "E6", "E3", "E2", "E4", "E5"),
    *("A5", "A3", "A2", "A1", "A4"),
    *("D1", "D4", "D2", "D7", "D6", "D5", "D8", "D3"),
    *("G2", "G1", "G3", "G4"),
    *("F2", "F1", "F9", "F10", "F5", "F6", "F8", "F4", "F3", "F7"),
    *("B4", "B3", "B2", "B6", "B1", "B5"),
)


def confusable_with(code: str) -> list[str]:
    return [b if a == code else a for a, b, _ in CONFUSABLE_PAIRS if code in (a, b)]


def cycle_distance(a: str, b: str) -> int:
    """How many steps apart two labels are on the confusion cycle (either way round)."""
    steps = abs(CONFUSION_CYCLE.index(a) - CONFUSION_CYCLE.index(b))
    return min(steps, len(CONFUSION_CYCLE) - steps)
