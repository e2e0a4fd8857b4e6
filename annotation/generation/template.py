"""The template generator: CMAR and FMAR from the caption's labels, no model needed."""

from __future__ import annotations

from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS, TASKS

from .balance import clip_random, shuffled_with_key
from .base import CaptionedClip, GeneratedItem
from .confusions import distractors
from .stems import STEMS


class TemplateGenerator:
    name = "template-generator"
    version = "1.0"
    tasks = ("CMAR", "FMAR")

    def __init__(self, *, seed: int = 0):
        self.seed = seed

    @property
    def source(self) -> str:
        return f"{self.name} {self.version}"

    def generate(self, clip: CaptionedClip, *, tasks: tuple[str, ...] = tasks) -> list[GeneratedItem]:
        makers = {"CMAR": self._coarse, "FMAR": self._fine}
        return [makers[task](clip) for task in self.tasks if task in tasks]

    def _coarse(self, clip: CaptionedClip) -> GeneratedItem:
        rng = clip_random(self.seed, clip.clip_name, "CMAR")
        options, key = shuffled_with_key([c.name for c in COARSE_LABELS.values()], clip.coarse_name, rng)
        return GeneratedItem("CMAR", rng.choice(STEMS["CMAR"]), key, tuple(options))

    def _fine(self, clip: CaptionedClip) -> GeneratedItem:
        rng = clip_random(self.seed, clip.clip_name, "FMAR")
        others = distractors(clip.fine_label, rng, count=TASKS["FMAR"].option_count - 1)
        names = [clip.fine_name, *(FINE_LABELS[code].name for code in others)]
        options, key = shuffled_with_key(names, clip.fine_name, rng)
        return GeneratedItem("FMAR", rng.choice(STEMS["FMAR"]), key, tuple(options))
