"""Camera-like synthetic clips for the benches (H.264 through PyAV, no ffmpeg binary needed)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageFilter


def render_clip(
    path: Path, *, seconds: float, fps: int = 30, size=(1920, 1080), gop: int | None = None, seed: int = 0
) -> Path:
    """Camera-like content: a smooth textured background with grain, a moving subject, a slow pan."""
    width, height = size
    rng = np.random.default_rng(seed)
    texture = Image.fromarray((rng.random((height // 40, width // 40, 3)) * 255).astype(np.uint8))
    background = np.asarray(texture.resize(size, Image.BICUBIC).filter(ImageFilter.GaussianBlur(6)), np.int16)
    grain = [rng.integers(-6, 7, (height, width, 1), dtype=np.int16) for _ in range(4)]
    options = {"crf": "21", "preset": "veryfast", **({"g": str(gop)} if gop else {})}
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt, stream.options = width, height, "yuv420p", options
        stream.codec_context.time_base = Fraction(1, fps)
        for index in range(round(seconds * fps)):
            pixels = _subject(background + grain[index % 4], index / fps)
            frame = av.VideoFrame.from_ndarray(np.roll(pixels, index * 2, axis=1), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _subject(pixels: np.ndarray, t: float) -> np.ndarray:
    height, width = pixels.shape[:2]
    x, y = int(width * (0.3 + 0.3 * np.sin(2 * t))), int(height * (0.5 + 0.2 * np.cos(3 * t)))
    pixels[y - height // 9 : y + height // 9, x - width // 24 : x + width // 24] = (230, 200, 170)
    return np.clip(pixels, 0, 255).astype(np.uint8)
