"""The pipeline's settings, read once per run, and the key that names their outputs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from django.conf import settings

# Bump when the outputs change shape or content for the same settings.
PIPELINE_VERSION = 2  # 2: the middle frame (single-frame) among the model-view frames


@dataclass(frozen=True)
class FrameOptions:
    scrub_width: int
    scrub_max_frames: int
    scrub_jpeg_qscale: int
    model_max_side: int
    model_jpeg_quality: int
    uniform_k: int
    proxy_max_side: int
    proxy_gop: int
    proxy_crf: int
    max_pixels: int
    test_frame_delay: float = 0.0

    @classmethod
    def from_settings(cls) -> FrameOptions:
        return cls(
            scrub_width=settings.FRAMES_SCRUB_WIDTH,
            scrub_max_frames=settings.FRAMES_SCRUB_MAX_FRAMES,
            scrub_jpeg_qscale=settings.FRAMES_SCRUB_JPEG_QSCALE,
            model_max_side=settings.FRAMES_MODEL_MAX_SIDE,
            model_jpeg_quality=settings.FRAMES_MODEL_JPEG_QUALITY,
            uniform_k=settings.FRAMES_UNIFORM_K,
            proxy_max_side=settings.FRAMES_PROXY_MAX_SIDE,
            proxy_gop=settings.FRAMES_PROXY_GOP,
            proxy_crf=settings.FRAMES_PROXY_CRF,
            max_pixels=settings.FRAMES_MAX_PIXELS,
            test_frame_delay=settings.FRAMES_TEST_FRAME_DELAY_SECONDS,
        )

    def output_settings(self) -> dict[str, int]:
        """The settings that shape the outputs (not the limits or the test delay)."""
        values = asdict(self)
        for name in ("max_pixels", "test_frame_delay"):
            values.pop(name)
        return {"pipeline_version": PIPELINE_VERSION, **values}

    def key(self) -> str:
        text = json.dumps(self.output_settings(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]
