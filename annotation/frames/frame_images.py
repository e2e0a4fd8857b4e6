"""Decoded frames to JPEG files, at the size and orientation a player shows them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter
from PIL import Image

Size = tuple[int, int]  # width, height

# PyAV's frame.rotation is counter-clockwise, as Pillow's transposes are.
_TRANSPOSE = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}


def normalized_rotation(degrees: float) -> int:
    """0, 90, 180 or 270: the counter-clockwise turn that shows the frame upright."""
    return (round(degrees / 90) * 90) % 360


def display_size(*, width: int, height: int, sample_aspect_ratio: Fraction | None, rotation: int) -> Size:
    """The frame size a player shows: square pixels, then rotated."""
    if sample_aspect_ratio and sample_aspect_ratio != 1:
        width = max(1, round(width * sample_aspect_ratio))
    return (height, width) if rotation in (90, 270) else (width, height)


def fit_width(size: Size, width: int) -> Size:
    """``size`` scaled to ``width`` wide (never up), keeping the aspect ratio."""
    if size[0] <= width:
        return size
    return width, max(1, round(size[1] * width / size[0]))


def fit_longest_side(size: Size, max_side: int) -> Size:
    """``size`` scaled so its longest side is at most ``max_side`` (0: unchanged)."""
    longest = max(size)
    if not max_side or longest <= max_side:
        return size
    return max(1, round(size[0] * max_side / longest)), max(1, round(size[1] * max_side / longest))


class JpegWriter:
    """Scale (area filter), rotate upright and save frames as JPEG at one output size."""

    def __init__(self, *, size: Size, rotation: int, quality: int):
        self.size, self.rotation, self.quality = size, rotation, quality
        # the scaler works on the stored frame, before the rotation swaps the sides
        self._scaled = (size[1], size[0]) if rotation in (90, 270) else size
        self._reformatter = VideoReformatter()  # reused: it caches the scaling context

    def write(self, frame: av.VideoFrame, path: Path) -> None:
        width, height = self._scaled
        rgb = self._reformatter.reformat(frame, width=width, height=height, format="rgb24", interpolation="AREA")
        image = Image.fromarray(rgb.to_ndarray())
        if self.rotation:
            image = image.transpose(_TRANSPOSE[self.rotation])
        image.save(path, "JPEG", quality=self.quality)
