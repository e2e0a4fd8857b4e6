"""The generators by the name a run gives (``template``, ``model``), built from the run's settings."""

from __future__ import annotations

from annotation.errors import InvalidInput
from annotation.predictors.chat import ChatPredictor

from .base import Generator
from .model import ModelGenerator
from .template import TemplateGenerator

GENERATOR_TASKS = {"template": TemplateGenerator.tasks, "model": ModelGenerator.tasks}


def generator_for(kind: str, settings: dict) -> Generator:
    seed = int(settings.get("seed", 0))
    if kind == "template":
        return TemplateGenerator(seed=seed)
    if kind == "model":
        if not settings.get("base_url") or not settings.get("model"):
            raise InvalidInput("the model generator needs a base_url and a model", field="base_url")
        return ModelGenerator(
            chat=ChatPredictor.from_settings(settings), seed=seed, attempts=int(settings.get("attempts", 3))
        )
    raise InvalidInput(f"unknown generator {kind!r}; expected {', '.join(GENERATOR_TASKS)}", field="generator")
