"""The model generator: yes/no questions with balanced keys (SAD, MAD, MAS, PPR) and
reference answers (MADU, MARE) written by a chat model from the structured caption."""

from __future__ import annotations

from annotation.domain.taxonomy import TASKS, AnswerFormat
from annotation.predictors.base import PredictorError
from annotation.predictors.chat import ChatPredictor

from . import prompts, replies
from .balance import clip_random, target_keys
from .base import CaptionedClip, GeneratedItem, GenerationFailed
from .stems import STEMS


class ModelGenerator:
    name = "model-generator"
    version = "1.0"
    tasks = ("SAD", "MAD", "MAS", "PPR", "MADU", "MARE")

    def __init__(self, *, chat: ChatPredictor, seed: int = 0, attempts: int = 3):
        self.chat, self.seed, self.attempts = chat, seed, attempts

    @property
    def source(self) -> str:
        return f"{self.name} {self.version} ({self.chat.model})"

    def generate(self, clip: CaptionedClip, *, tasks: tuple[str, ...] = tasks) -> list[GeneratedItem]:
        return [item for task in self.tasks if task in tasks for item in self._task(clip, task)]

    def _task(self, clip: CaptionedClip, task: str) -> list[GeneratedItem]:
        rng = clip_random(self.seed, clip.clip_name, task)
        if TASKS[task].answer_format == AnswerFormat.YES_NO:
            keys = target_keys(TASKS[task].per_video, rng)
            data = self._valid_reply(
                task,
                prompts.yes_no_request(task, clip, keys),
                replies.yes_no_schema(len(keys)),
                lambda d: replies.yes_no_problems(d, keys=keys, clip=clip),
            )
            return [GeneratedItem(task, row["question"].strip(), row["answer"]) for row in data["questions"]]
        stem = rng.choice(STEMS[task])
        data = self._valid_reply(
            task,
            prompts.open_request(task, clip, stem),
            replies.OPEN_SCHEMA,
            lambda d: replies.open_problems(task, d, clip=clip),
        )
        return [GeneratedItem(task, stem, data["answer"].strip())]

    def _valid_reply(self, task: str, request: str, schema: dict, checks) -> dict:
        """Ask until a reply passes the schema and the checks; at most ``attempts`` times,
        each retry telling the model what was wrong."""
        messages = [{"role": "system", "content": prompts.system_prompt(task)}, {"role": "user", "content": request}]
        problems: list[str] = []
        for _ in range(self.attempts):
            try:
                raw = self.chat.complete(messages).raw
            except PredictorError as error:
                raise GenerationFailed(f"{task}: the endpoint failed: {error}") from error
            data, problems = replies.parsed_reply(raw)
            problems = problems or replies.schema_problems(data, schema) or checks(data)
            if not problems:
                return data
            messages += [
                {"role": "assistant", "content": raw},
                {"role": "user", "content": prompts.retry_request(problems)},
            ]
        raise GenerationFailed(
            f"{task}: no valid reply in {self.attempts} attempts; the last one: {'; '.join(problems[:3])}"
        )
