"""Which frames a model sees: named sampling strategies over decoded frame indices.

Indices are positions in the decoded stream (0 = first decoded frame), never times.

- ``uniform-K``: the centre frame of each of K equal segments,
  ``index_i = floor((2i + 1) * frame_count / (2K))`` for ``i = 0 .. K-1``, in integer
  arithmetic (TSN-style segment centres). With fewer than K frames: every frame, once.
- ``mac2026``: the published MAC 2026 Track 3 runner: from frame 0 with
  ``step = max(1, min(round(fps / 3), frame_count // 8))``, at most 8 frames.
  ``round`` is Python's (halves to even), as in that runner.
"""

from __future__ import annotations

from fractions import Fraction

MAC2026 = "mac2026"
MAC2026_MAX_FRAMES = 8


def uniform_indices(frame_count: int, k: int) -> list[int]:
    if k < 1:
        raise ValueError(f"uniform sampling needs k >= 1, got {k}")
    if frame_count <= k:
        return list(range(frame_count))
    return [(2 * i + 1) * frame_count // (2 * k) for i in range(k)]


def mac2026_indices(fps: float | Fraction, frame_count: int) -> list[int]:
    step = max(1, min(round(float(fps) / 3), frame_count // 8))
    return list(range(0, frame_count, step))[:MAC2026_MAX_FRAMES]


def uniform_name(k: int) -> str:
    return f"uniform-{k}"


def model_view_indices(*, frame_count: int, fps: Fraction, uniform_k: int) -> dict[str, list[int]]:
    """Every named strategy's indices for a clip of ``frame_count`` decoded frames."""
    return {
        uniform_name(uniform_k): uniform_indices(frame_count, uniform_k),
        MAC2026: mac2026_indices(fps, frame_count),
    }


def scrub_stride(frame_count: int, max_frames: int) -> int:
    """1 (every frame) up to ``max_frames`` frames; above it the smallest constant stride that fits."""
    return max(1, -(-frame_count // max_frames))
