"""What a choice item's options tell about its key, to a solver that knows a generator's
tables and sees nothing but the option texts (no clip, no question).

For each option, the probability that the generator writes exactly this option set when that
option is the key. The options that could be the key are those with a probability above 0;
the best guess is the most probable one, the first by letter among equals (both constructions
put the key at a uniform letter). With labels equally frequent, no blind answer does better.
Items of template-generator 2.0 give every option the same probability, so the guess is right
at chance; items of 1.0 often give the key away, and lint flags an item whose options leave a
single possible key, whichever known version wrote it (``options_give_key``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import comb

from annotation.domain.taxonomy import COARSE_BY_NAME, FINE_BY_NAME

from . import confusion_tiers
from .option_sets import OPTION_SETS
from .template import TemplateGenerator

Likelihood = Callable[[str, Sequence[str]], float]  # (key, the option set) -> probability of that set


def _fine_by_code(likelihood: Likelihood) -> Likelihood:
    """A likelihood over label codes as one over label names."""

    def by_name(key: str, options: Sequence[str]) -> float:
        return likelihood(FINE_BY_NAME[key.lower()].code, [FINE_BY_NAME[o.lower()].code for o in options])

    return by_name


# Per generator version, per task: how likely an option set is given its key (option texts are
# canonical MA-52 names). Both versions write CMAR the same way: all 7 coarse labels, shuffled.
CONSTRUCTIONS: dict[str, dict[str, Likelihood]] = {
    TemplateGenerator().source: {task: sets.likelihood for task, sets in OPTION_SETS.items()},
    confusion_tiers.VERSION: {
        "CMAR": OPTION_SETS["CMAR"].likelihood,
        "FMAR": _fine_by_code(confusion_tiers.likelihood),
    },
}
LABEL_NAMES = {"CMAR": COARSE_BY_NAME, "FMAR": FINE_BY_NAME}


@dataclass(frozen=True)
class KeyInference:
    generator: str
    likelihoods: tuple[float, ...]  # per option, in letter order

    @property
    def candidates(self) -> tuple[int, ...]:
        """The indexes of the options that could be the key under the generator."""
        return tuple(n for n, p in enumerate(self.likelihoods) if p > 0)

    @property
    def best(self) -> int:
        """The solver's answer, an option index (the first when no option could be the key)."""
        return max(range(len(self.likelihoods)), key=lambda n: (self.likelihoods[n], -n))

    @property
    def determined(self) -> bool:
        return len(self.candidates) == 1


def infer_key(task: str, options: Sequence[str], generator: str) -> KeyInference | None:
    """None when the task has no known construction or the options are not distinct labels of it."""
    names = LABEL_NAMES.get(task)
    likelihood = CONSTRUCTIONS[generator].get(task)
    if names is None or likelihood is None:
        return None
    canonical = [names[o.strip().lower()].name if o.strip().lower() in names else None for o in options]
    if None in canonical or len(set(canonical)) != len(canonical):
        return None
    return KeyInference(generator, tuple(likelihood(key, canonical) for key in canonical))


def only_possible_key(task: str, options: Sequence[str]) -> tuple[int, list[str]] | None:
    """The one option that can be the key when the generator is any known version (the versions
    that can write these options); None when that leaves several options, or none.

    Items of 2.0 never have one: each of their options is possible under 2.0."""
    writers = [
        found for generator in CONSTRUCTIONS if (found := infer_key(task, options, generator)) and found.candidates
    ]
    possible = {n for found in writers for n in found.candidates}
    return (possible.pop(), [found.generator for found in writers]) if len(possible) == 1 else None


def chance_interval(n: int, options: int, confidence: Fraction = Fraction("0.999")) -> tuple[int, int]:
    """The central interval [low, high] of right answers out of ``n`` blind guesses among ``options``
    options, each right with probability 1/options: the binomial mass outside it is at most
    (1 - confidence) / 2 on each side. Exact, in integers."""
    weights = [comb(n, k) * (options - 1) ** (n - k) for k in range(n + 1)]  # times options**n
    tail = (1 - confidence) / 2 * options**n
    low, below = 0, 0
    while below + weights[low] <= tail:
        below += weights[low]
        low += 1
    high, above = n, 0
    while above + weights[high] <= tail:
        above += weights[high]
        high -= 1
    return low, high
