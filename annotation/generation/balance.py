"""Balance control, deterministic under a seed.

Choice tasks: the option set is drawn first (``option_sets``), then shuffled
uniformly, so every letter is equally likely to be the key. Yes/no tasks: each clip's questions of a task are asked with fixed
target keys, half Yes and half No, in a shuffled order; a reply whose keys differ
is invalid. The set written therefore holds exactly as many Yes as No keys per task
(a clip that fails writes nothing), well inside lint's 45-55% band.
"""

from __future__ import annotations

import random

from annotation.domain.taxonomy import CHOICE_LETTERS


def clip_random(seed: int, clip_name: str, task: str) -> random.Random:
    """One random stream per (seed, clip, task): a clip's result does not depend on which
    other clips run with it, or in which order (string seeds do not depend on PYTHONHASHSEED)."""
    return random.Random(f"{seed}:{clip_name}:{task}")


def shuffled_with_key(options: list[str], key: str, rng: random.Random) -> tuple[list[str], str]:
    """The options in a uniformly random order, and the letter the key ends up at."""
    order = list(options)
    rng.shuffle(order)
    return order, CHOICE_LETTERS[order.index(key)]


def target_keys(count: int, rng: random.Random) -> list[str]:
    """The keys to ask for, for ``count`` yes/no questions of one task on one clip:
    half Yes, half No (an odd one out is drawn), in a random order."""
    keys = ["Yes", "No"] * (count // 2) + ([rng.choice(["Yes", "No"])] if count % 2 else [])
    rng.shuffle(keys)
    return keys
