"""Which frames a model sees: named sampling strategies over decoded frame indices.

Indices are positions in the decoded stream (0 = first decoded frame), never times.

- ``uniform-K``: the centre frame of each of K equal segments,
  ``index_i = floor((2i + 1) * frame_count / (2K))`` for ``i = 0 .. K-1``, in integer
  arithmetic (TSN-style segment centres). With fewer than K frames: every frame, once.
- ``mac2026``: the published MAC 2026 Track 3 runner: from frame 0 with
  ``step = max(1, min(round(fps / 3), frame_count // 8))``, at most 8 frames.
  ``round`` is Python's (halves to even), as in that runner.
- ``single-frame``: the middle frame, ``frame_count // 2`` (uniform-1), for the single-frame probe.

These are stored by the pipeline. A baseline run's ``sampling`` names one of them, or a probe
that sends a stored strategy's frames in another order (``RunSampling``):

- ``reversed-K`` / ``reversed-mac2026``: the uniform-K (or mac2026) frames, last first.
- ``shuffled-K`` / ``shuffled-mac2026``: the same frames in an order drawn from a seed (the run's
  ``seed`` and the clip name), never the original order when there are two frames or more.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

MAC2026 = "mac2026"
MAC2026_MAX_FRAMES = 8
SINGLE_FRAME = "single-frame"


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


def middle_index(frame_count: int) -> list[int]:
    """The middle frame (the centre of one segment: uniform-1); none for an empty clip."""
    return uniform_indices(frame_count, 1)


def model_view_indices(*, frame_count: int, fps: Fraction, uniform_k: int) -> dict[str, list[int]]:
    """Every named strategy's indices for a clip of ``frame_count`` decoded frames."""
    return {
        uniform_name(uniform_k): uniform_indices(frame_count, uniform_k),
        MAC2026: mac2026_indices(fps, frame_count),
        SINGLE_FRAME: middle_index(frame_count),
    }


class FrameOrder(StrEnum):
    ORDERED = "ordered"
    REVERSED = "reversed"
    SHUFFLED = "shuffled"


@dataclass(frozen=True)
class RunSampling:
    """What a run's ``sampling`` setting names: the stored strategy whose frames are sent, and their order."""

    name: str
    stored: str
    order: FrameOrder

    @property
    def is_probe(self) -> bool:
        """Frames that deliberately hide something: one frame only, or the order."""
        return self.stored == SINGLE_FRAME or self.order != FrameOrder.ORDERED

    def arranged(self, indices: list[int], *, seed: str) -> list[int]:
        if self.order == FrameOrder.REVERSED:
            return indices[::-1]
        if self.order == FrameOrder.SHUFFLED:
            return shuffled(indices, seed=seed)
        return list(indices)


_STORED = re.compile(r"^(?:uniform-[1-9][0-9]*|mac2026|single-frame)$")
_REORDERED = re.compile(r"^(reversed|shuffled)-([1-9][0-9]*|mac2026)$")


def run_sampling(name: str) -> RunSampling:
    """The sampling a run's setting names; ValueError for a name that is none of them."""
    if _STORED.match(name):
        return RunSampling(name=name, stored=name, order=FrameOrder.ORDERED)
    found = _REORDERED.match(name)
    if not found:
        raise ValueError(
            f"unknown sampling {name!r}; expected mac2026, uniform-K, single-frame, shuffled-K, reversed-K, "
            "shuffled-mac2026 or reversed-mac2026"
        )
    order, base = found.groups()
    return RunSampling(name=name, stored=base if base == MAC2026 else uniform_name(int(base)), order=FrameOrder(order))


def shuffled(indices: list[int], *, seed: str) -> list[int]:
    """``indices`` in an order drawn from ``seed``; never the original order when two or more differ."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    order = list(indices)
    if len(set(order)) < 2:
        return order
    while order == indices:
        rng.shuffle(order)
    return order


def scrub_stride(frame_count: int, max_frames: int) -> int:
    """1 (every frame) up to ``max_frames`` frames; above it the smallest constant stride that fits."""
    return max(1, -(-frame_count // max_frames))
