"""Any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, Ollama, LM Studio,
hosted APIs) through the official ``openai`` client, with the video's precomputed
model-view frames, or with none (the blind, language-prior baseline)."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable

import openai

from .base import ItemPrompt, PredictorError, Reply
from .prompts import BLIND_NOTE, SYSTEM_PROMPTS

FrameSource = Callable[[int], list[bytes]]  # video id -> JPEG bytes of the frames a model sees


class ChatPredictor:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str,
        frames: FrameSource | None,
        temperature: float = 0.0,
        max_tokens: int = 512,
        timeout: float = 60.0,
        max_retries: int = 4,
    ):
        # The client retries timeouts, 429 and 5xx with exponential backoff (and honours Retry-After).
        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=max_retries
        )
        self.model, self.frames = model, frames
        self.temperature, self.max_tokens = temperature, max_tokens

    @classmethod
    def from_settings(cls, settings: dict, *, frames: FrameSource | None = None) -> ChatPredictor:
        """A client for a run's settings (endpoint, model, sampling, limits); the API key is
        read from the environment variable the settings name, never stored."""
        return cls(
            base_url=settings["base_url"],
            model=settings["model"],
            frames=frames,
            api_key=os.environ.get(settings.get("api_key_env", "OPENAI_API_KEY"), ""),
            temperature=float(settings.get("temperature", 0.0)),
            max_tokens=int(settings.get("max_tokens", 512)),
            timeout=float(settings.get("timeout", 60)),
            max_retries=int(settings.get("max_retries", 4)),
        )

    def messages(self, item: ItemPrompt) -> tuple[list[dict], list[dict]]:
        """The messages to send, and the same with image bytes replaced by placeholders."""
        system = {"role": "system", "content": SYSTEM_PROMPTS[item.task] + ("" if self.frames else BLIND_NOTE)}
        jpegs = self.frames(item.video_id) if self.frames else []
        images = [
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(j).decode()}}
            for j in jpegs
        ]
        question = {"type": "text", "text": item.published_question}
        placeholders = [
            {"type": "image_url", "image_url": {"url": f"<frame {n} of {len(jpegs)}, {len(j)} bytes>"}}
            for n, j in enumerate(jpegs, start=1)
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
