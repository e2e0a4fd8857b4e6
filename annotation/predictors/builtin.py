"""Baselines that need no model server."""

from __future__ import annotations

import hashlib
import random
from collections import Counter

from annotation.domain.taxonomy import CHOICE_LETTERS, TASKS, YES_NO_ANSWERS, AnswerFormat

from .base import ItemPrompt, PredictorError, Reply


def _choices(item: ItemPrompt) -> list[str]:
    answer_format = TASKS[item.task].answer_format
    if answer_format == AnswerFormat.CHOICE:
        return list(CHOICE_LETTERS[: len(item.options)])
    if answer_format == AnswerFormat.YES_NO:
        return list(YES_NO_ANSWERS)
    raise PredictorError(f"{item.qid}: a built-in baseline cannot answer an open {item.task} question")


class RandomPredictor:
    """A uniform choice among the item's options, reproducible from (seed, qid), and the rotation of its
    options in a circular run: each rotation is a draw of its own, as chance would answer."""

    def __init__(self, *, seed: int = 0):
        self.seed = seed

    def predict(self, item: ItemPrompt) -> Reply:
        rotation = f":{item.rotation}" if item.rotation else ""  # rotation 0 draws as a plain run always did
        digest = hashlib.sha256(f"{self.seed}:{item.qid}{rotation}".encode()).digest()
        return Reply(raw=random.Random(digest).choice(_choices(item)))


class PriorPredictor:
    """The most frequent key of the task among the other accepted items (leave-one-out)."""

    def __init__(self, *, keys_by_task: dict[str, list[tuple[int, str]]]):
        self.keys_by_task = keys_by_task
        self.counts = {task: Counter(key for _, key in keys) for task, keys in keys_by_task.items()}

    def predict(self, item: ItemPrompt) -> Reply:
        choices = _choices(item)
        counts = Counter(self.counts.get(item.task, Counter()))
        own = [key for item_id, key in self.keys_by_task.get(item.task, []) if item_id == item.item_id]
        counts.subtract(own)
        ranked = sorted(((counts[c], -i, c) for i, c in enumerate(choices)), reverse=True)
        return Reply(raw=ranked[0][2])  # ties: the first choice
