"""Any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, Ollama, LM Studio,
hosted APIs) through the official ``openai`` client, with the video's precomputed
model-view frames, or with none: the question only (the blind, language-prior baseline)
or the options only (the choices-only baseline)."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable

from .base import ItemPrompt, PredictorError, Reply
from .model_view import ModelFrame
from .prompts import BLIND_NOTE, CHOICES_ONLY_NOTE, SYSTEM_PROMPTS

FrameSource = Callable[[int], list[ModelFrame]]  # video id -> the frames a model sees, in the order it sees them


class ChatPredictor:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str,
        frames: FrameSource | None,
        choices_only: bool = False,
        temperature: float = 0.0,
        max_tokens: int = 512,
        timeout: float = 60.0,
        max_retries: int = 4,
    ):
        import openai  # here, not at the top: the package takes about a second to import, and every Django
        # process imports this module (review services -> judging) while only baseline and judge runs call a model

        # The client retries timeouts, 429 and 5xx with exponential backoff (and honours Retry-After).
        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=max_retries
        )
        self.model, self.frames, self.choices_only = model, frames, choices_only
        self.temperature, self.max_tokens = temperature, max_tokens

    @classmethod
    def from_settings(
        cls, settings: dict, *, frames: FrameSource | None = None, choices_only: bool = False
    ) -> ChatPredictor:
        """A client for a run's settings (endpoint, model, sampling, limits); the API key is
        read from the environment variable the settings name, never stored."""
        return cls(
            base_url=settings["base_url"],
            model=settings["model"],
            frames=frames,
            choices_only=choices_only,
            api_key=os.environ.get(settings.get("api_key_env", "OPENAI_API_KEY"), ""),
            temperature=float(settings.get("temperature", 0.0)),
            max_tokens=int(settings.get("max_tokens", 512)),
            timeout=float(settings.get("timeout", 60)),
            max_retries=int(settings.get("max_retries", 4)),
        )

    def messages(self, item: ItemPrompt) -> tuple[list[dict], list[dict]]:
        """The messages to send, and the same with image bytes replaced by placeholders."""
        note = CHOICES_ONLY_NOTE if self.choices_only else "" if self.frames else BLIND_NOTE
        system = {"role": "system", "content": SYSTEM_PROMPTS[item.task] + note}
        frames = self.frames(item.video_id) if self.frames else []
        images = [
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(f.jpeg).decode()}}
            for f in frames
        ]
        question = {"type": "text", "text": item.options_only if self.choices_only else item.published_question}
        placeholders = [
            {
                "type": "image_url",
                "image_url": {"url": f"<frame {n} of {len(frames)}, index {f.index}, {len(f.jpeg)} bytes>"},
            }
            for n, f in enumerate(frames, start=1)
        ]
        return (
            [system, {"role": "user", "content": [*images, question]}],
            [system, {"role": "user", "content": [*placeholders, question]}],
        )

    def predict(self, item: ItemPrompt) -> Reply:
        messages, recorded = self.messages(item)
        try:
            return self.complete(messages, recorded=recorded)
        except PredictorError as error:
            raise PredictorError(f"{item.qid}: {error}") from error

    def complete(self, messages: list[dict], *, recorded: list[dict] | None = None) -> Reply:
        """One chat completion; ``recorded`` is what the reply keeps as its prompt."""
        import openai  # imported by __init__ already

        start = time.perf_counter()
        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature, max_tokens=self.max_tokens
            )
        except (openai.APIError, ValueError) as error:  # ValueError: a body that is not JSON
            raise PredictorError(f"{type(error).__name__}: {error}") from error
        latency = round((time.perf_counter() - start) * 1000)
        if not getattr(response, "choices", None):
            raise PredictorError("the endpoint answered without choices")
        usage = response.usage
        return Reply(
            raw=response.choices[0].message.content or "",
            prompt=messages if recorded is None else recorded,
            latency_ms=latency,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
        )
