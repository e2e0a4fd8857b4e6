"""Decoded frames to JPEG files, at the size and orientation a player shows them."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

from PIL import Image

from .pyav import av, np, video_reformatter

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


def even(size: Size) -> Size:
    """Both sides even (4:2:0 chroma covers 2x2 pixels), at least 2."""
    return max(2, size[0] - size[0] % 2), max(2, size[1] - size[1] % 2)


class _FrameWriter:
    """Scale (area filter) and turn frames upright at one output size. Safe to call from
    several threads: each keeps its own scaling context and encoder."""

    def __init__(self, *, size: Size, rotation: int):
        self.size, self.rotation = size, rotation
        # the scaler works on the stored frame, before the rotation swaps the sides
        self._scaled = (size[1], size[0]) if rotation in (90, 270) else size
        self._local = threading.local()

    def _scale(self, frame: av.VideoFrame, pix_fmt: str, **options) -> av.VideoFrame:
        if not hasattr(self._local, "scaler"):
            self._local.scaler = video_reformatter()  # reused: it caches its scaling context
        width, height = self._scaled
        return self._local.scaler.reformat(
            frame, width=width, height=height, format=pix_fmt, interpolation="AREA", **options
        )


class ModelJpegWriter(_FrameWriter):
    """libjpeg (Pillow) at a libjpeg quality, as the MAC 2026 runner encodes what it sends (OpenCV, quality 95)."""

    def __init__(self, *, size: Size, rotation: int, quality: int):
        super().__init__(size=size, rotation=rotation)
        self.quality = quality

    def write(self, frame: av.VideoFrame, path: Path) -> None:
        # scale in 4:2:0, then convert the small frame: half the cost of scaling straight to RGB
        small = self._scale(frame, "yuv420p")
        if not hasattr(self._local, "converter"):
            self._local.converter = video_reformatter()
        image = Image.fromarray(self._local.converter.reformat(small, format="rgb24").to_ndarray())
        if self.rotation:
            image = image.transpose(_TRANSPOSE[self.rotation])
        image.save(path, "JPEG", quality=self.quality)


class ScrubJpegWriter(_FrameWriter):
    """FFmpeg's JPEG encoder at a fixed quantiser (``qscale``, 2 best .. 31): it runs without the
    GIL, so scrub frames are encoded beside the decode (Pillow holds the GIL while encoding).
    Even sides; BT.601 full range, as JPEG readers expect, whatever the source's matrix."""

    def __init__(self, *, size: Size, rotation: int, qscale: int):
        super().__init__(size=even(size), rotation=rotation)
        self._scaled = even(self._scaled)
        self.qscale = qscale

    def write(self, frame: av.VideoFrame, path: Path) -> None:
        small = self._scale(frame, "yuv420p", dst_colorspace="ITU601", dst_color_range="JPEG")
        if self.rotation:
            small = _rotated_i420(small, self.rotation)
        encoder, small.pts, small.time_base = self._encoder(), self._next_pts(), _ENCODER_TIME_BASE
        with path.open("wb") as handle:
            for packet in encoder.encode(small):
                handle.write(bytes(packet))

    def _encoder(self) -> av.CodecContext:
        if not hasattr(self._local, "encoder"):
            encoder = av.CodecContext.create("mjpeg", "w")
            encoder.width, encoder.height, encoder.pix_fmt = *self.size, "yuv420p"
            encoder.color_range = _FULL_RANGE
            encoder.time_base, encoder.qscale = _ENCODER_TIME_BASE, True
            encoder.qmin = encoder.qmax = self.qscale
            encoder.open()
            self._local.encoder, self._local.pts = encoder, 0
        return self._local.encoder

    def _next_pts(self) -> int:
        self._local.pts += 1  # the encoder wants increasing timestamps, even for stills
        return self._local.pts


_ENCODER_TIME_BASE = Fraction(1, 1000)
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG


def _rotated_i420(frame: av.VideoFrame, rotation: int) -> av.VideoFrame:
    """A small 4:2:0 frame turned counter-clockwise by ``rotation`` degrees, plane by plane."""
    width, height = frame.width, frame.height
    flat = frame.to_ndarray().reshape(-1)
    luma, chroma = width * height, width * height // 4
    planes = (
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma :].reshape(height // 2, width // 2),
    )
    turned = [np.rot90(plane, k=rotation // 90).reshape(-1) for plane in planes]
    out_w, out_h = (height, width) if rotation in (90, 270) else (width, height)
    turned_frame = av.VideoFrame.from_ndarray(np.concatenate(turned).reshape(out_h * 3 // 2, out_w), format="yuv420p")
    turned_frame.color_range, turned_frame.colorspace = frame.color_range, frame.colorspace
    return turned_frame


class ImageJobs:
    """JPEG writing on worker threads, beside the decode loop.

    PyAV scales, and FFmpeg encodes the scrub JPEGs, without the GIL, so the threads use
    the CPU the decoder leaves idle (bench/frames.py, 2 cores, 4 s 1080p: the pass went
    from about 1.8x the decode-only time, writing in the loop, to 1.3-1.5x). At most
    ``in_flight`` frames wait, which bounds the memory they hold."""

    def __init__(self, *, workers: int = 2, in_flight: int = 8):
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="frame-jpeg")
        self._slots = threading.BoundedSemaphore(in_flight)
        self._futures: list[Future] = []

    def submit(self, writer: ModelJpegWriter | ScrubJpegWriter, frame: av.VideoFrame, path: Path) -> None:
        self._slots.acquire()
        try:
            self._futures.append(self._pool.submit(self._write, writer, frame, path))
        except BaseException:
            self._slots.release()
            raise

    def _write(self, writer: ModelJpegWriter | ScrubJpegWriter, frame: av.VideoFrame, path: Path) -> None:
        try:
            writer.write(frame, path)
        finally:
            self._slots.release()

    def finish(self) -> None:
        """Wait for every write; the first failure is raised here."""
        self._pool.shutdown(wait=True)
        for future in self._futures:
            future.result()

    def abandon(self) -> None:
        """Stop before the staging folder is removed: nothing may write into it afterwards."""
        self._pool.shutdown(wait=True, cancel_futures=True)
