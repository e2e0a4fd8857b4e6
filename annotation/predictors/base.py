from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from annotation.domain.mac_format import join_embedded_options
from annotation.errors import DomainError


@dataclass(frozen=True)
class ItemPrompt:
    """What a predictor may see of an item: never its answer key. In a circular run ``options`` are
    already in the order of ``rotation`` (annotation/domain/circular.py)."""

    item_id: int
    qid: str
    task: str
    question: str  # the stem
    options: list[str]
    video_id: int
    rotation: int = 0

    @property
    def published_question(self) -> str:
        """The question as MA-Bench publishes it, options embedded as ``A. ...`` lines."""
        return join_embedded_options(self.question, self.options)

    @property
    def options_only(self) -> str:
        """The ``A. ...`` option lines without the question (the choices-only baseline)."""
        return join_embedded_options("", self.options).lstrip("\n")


@dataclass
class Reply:
    raw: str
    prompt: list = field(default_factory=list)  # messages as sent, images as placeholders
    latency_ms: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class PredictorError(DomainError):
    """The predictor could not answer (after its retries); the item is retried when the run resumes."""


class Predictor(Protocol):
    def predict(self, item: ItemPrompt) -> Reply: ...
