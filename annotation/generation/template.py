"""The template generator: CMAR and FMAR from the caption's labels, no model needed."""

from __future__ import annotations

from .balance import clip_random
from .base import CaptionedClip, GeneratedItem
from .option_sets import OPTION_SETS
from .stems import STEMS


class TemplateGenerator:
    name = "template-generator"
    version = "2.0"  # 1.0 drew FMAR distractors as a function of the key (confusion_tiers)
    tasks = ("CMAR", "FMAR")

    def __init__(self, *, seed: int = 0):
        self.seed = seed

    @property
    def source(self) -> str:
        return f"{self.name} {self.version}"

    def generate(self, clip: CaptionedClip, *, tasks: tuple[str, ...] = tasks) -> list[GeneratedItem]:
        keys = {"CMAR": clip.coarse_name, "FMAR": clip.fine_name}
        return [self._choice(clip, task, keys[task]) for task in self.tasks if task in tasks]

    def _choice(self, clip: CaptionedClip, task: str, key: str) -> GeneratedItem:
        rng = clip_random(self.seed, clip.clip_name, task)
        options, letter = OPTION_SETS[task].draw(key, rng)
        return GeneratedItem(task, rng.choice(STEMS[task]), letter, tuple(options))
