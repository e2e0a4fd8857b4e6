"""The precomputed model-view frames of a clip, as JPEG bytes (no decoding here)."""

from __future__ import annotations

from .base import PredictorError


def stored_model_view_frames(video, strategy: str) -> list[bytes]:
    raise PredictorError(f"{video.clip_name}: model-view frames are not available yet")
