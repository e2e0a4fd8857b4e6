"""An evidence span: the frames of a clip that a person marked as showing a question's answer.

Frames are indices of the decoded stream (as on the scrubber), both ends included, so a span of one
frame has ``start_frame == end_frame``. Seconds come from the clip's nominal frame rate (the probe's
``fps_num / fps_den``): a span of N frames lasts N frame durations, and frame i starts at i / fps, which
is the decoder's offset the scrubber shows for a constant-rate clip. Without a frame rate, no seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


def clip_fps(fps_num: int | None, fps_den: int | None) -> Fraction | None:
    """The clip's nominal frame rate from its probe fields; None when unknown."""
    return Fraction(fps_num, fps_den) if fps_num and fps_den else None


@dataclass(frozen=True)
class EvidenceSpan:
    start_frame: int
    end_frame: int
    fps: Fraction | None = None

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    @property
    def seconds(self) -> float | None:
        return float(self.frames / self.fps) if self.fps else None

    @property
    def start_seconds(self) -> float | None:
        return float(self.start_frame / self.fps) if self.fps else None

    def as_dict(self) -> dict:
        return {"start_frame": self.start_frame, "end_frame": self.end_frame}


def span_of(start_frame: int | None, end_frame: int | None, fps: Fraction | None = None) -> EvidenceSpan | None:
    """The span of stored ends (a review's two fields, both set or neither); None without one."""
    if start_frame is None or end_frame is None:
        return None
    return EvidenceSpan(start_frame, end_frame, fps)
