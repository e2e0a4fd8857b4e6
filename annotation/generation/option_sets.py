"""The option sets of the template generator's choice items, and how likely each one is.

A choice item is drawn in two steps, each uniform under the clip's seed:
1. the option set: one of the windows of ``size`` consecutive labels on the task's cycle
   that contain the clip's label (FMAR: 5 consecutive labels of the confusion cycle, so the
   distractors are the key's near confusions; CMAR: the 7 coarse labels, all of them);
2. the order: a uniform shuffle, so the key is at each letter with the same probability.

Each window has ``size`` labels and each label lies in ``size`` windows, so an option set
arises with probability 1/size for each of its members as the key: the options say nothing
about which one is the key, beyond how common each label is in the data, and neither do
the letters. ``key_inference`` checks this with a solver that knows these tables.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS, TASKS

from .balance import shuffled_with_key
from .confusions import CONFUSION_CYCLE


@dataclass(frozen=True)
class CyclicOptionSets:
    """The option sets of one choice task: windows on a cycle of option texts (label names)."""

    task: str
    cycle: tuple[str, ...]

    @property
    def size(self) -> int:
        return TASKS[self.task].option_count

    @cached_property
    def windows(self) -> tuple[frozenset[str], ...]:
        n = len(self.cycle)
        return tuple(frozenset(self.cycle[(start + i) % n] for i in range(self.size)) for start in range(n))

    def windows_with(self, key: str) -> list[frozenset[str]]:
        return [window for window in self.windows if key in window]

    def draw(self, key: str, rng: random.Random) -> tuple[list[str], str]:
        """The options in letter order and the key's letter."""
        windows = list(dict.fromkeys(self.windows_with(key)))  # one set only when every label is an option
        window = windows[0] if len(windows) == 1 else rng.choice(windows)  # no draw then: CMAR as in 1.0
        return shuffled_with_key(sorted(window, key=self.cycle.index), key, rng)

    def likelihood(self, key: str, options: Collection[str]) -> float:
        """The probability that the generator writes this option set (in any order) when ``key`` is the key."""
        windows = self.windows_with(key)
        return sum(window == frozenset(options) for window in windows) / len(windows) if windows else 0.0


OPTION_SETS = {
    "CMAR": CyclicOptionSets("CMAR", tuple(label.name for label in COARSE_LABELS.values())),
    "FMAR": CyclicOptionSets("FMAR", tuple(FINE_LABELS[code].name for code in CONFUSION_CYCLE)),
}
