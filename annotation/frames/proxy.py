"""The browser proxy: an H.264 MP4, video only, index first (faststart), short GOP.

Made only when the source is not already something every browser plays; encoded
from the frames of the one decode pass with PyAV's bundled libx264 (no ffmpeg binary).
The proxy keeps the source's timestamps (shifted to start at 0) and its rotation
as a display matrix, so proxy time t shows the frame the index gives for offset t.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path

from .frame_images import Size, fit_longest_side
from .options import FrameOptions
from .probe import MP4_FORMAT, ClipProbe
from .pyav import av, video_reformatter

BROWSER_PIX_FMTS = ("yuv420p", "yuvj420p")
DEFAULT_FPS = Fraction(25)


def proxy_reason(probe: ClipProbe) -> str | None:
    """Why the source needs a proxy, or None when browsers play it as it is."""
    reasons = []
    if probe.format_name != MP4_FORMAT:
        reasons.append(f"container {probe.format_name} is not MP4")
    if probe.codec != "h264":
        reasons.append(f"codec {probe.codec} is not H.264")
    if probe.pix_fmt not in BROWSER_PIX_FMTS:
        reasons.append(f"pixel format {probe.pix_fmt} is not 8-bit 4:2:0")
    if probe.format_name == MP4_FORMAT and not (probe.mp4 and probe.mp4.faststart):
        reasons.append("the MP4 index (moov) is not before the media data, so browsers cannot start playing early")
    return "; ".join(reasons) or None


def proxy_size(probe: ClipProbe, max_side: int) -> Size:
    """The encoded size: stored orientation, capped, even sides for 4:2:0."""
    width, height = fit_longest_side((probe.width, probe.height), max_side)
    return max(2, width - width % 2), max(2, height - height % 2)


class ProxyEncoder:
    def __init__(self, path: Path, *, probe: ClipProbe, rotation: int, options: FrameOptions):
        self.size = proxy_size(probe, options.proxy_max_side)
        self._time_base = probe.time_base
        self._fps = probe.fps or DEFAULT_FPS
        self._container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
        self._stream = self._add_stream(options, rotation)
        self._reformatter = video_reformatter()
        self._first_pts: int | None = None
        self._last_pts = -1

    def _add_stream(self, options: FrameOptions, rotation: int) -> av.video.stream.VideoStream:
        stream = self._container.add_stream("libx264", rate=self._fps)
        stream.width, stream.height = self.size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = self._time_base
        gop = options.proxy_gop
        stream.options = {
            "preset": "veryfast",
            "crf": str(options.proxy_crf),
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0",
        }
        if rotation:
            stream.set_display_rotation(rotation)
        return stream

    def add(self, frame: av.VideoFrame, index: int) -> None:
        width, height = self.size
        out = self._reformatter.reformat(frame, width=width, height=height, format="yuv420p", interpolation="AREA")
        out.pts, out.time_base = self._pts(frame, index), self._time_base
        self._container.mux(self._stream.encode(out))

    def _pts(self, frame: av.VideoFrame, index: int) -> int:
        if frame.pts is None:
            pts = round(index / self._fps / self._time_base)
        else:
            if self._first_pts is None:
                self._first_pts = frame.pts
            pts = frame.pts - self._first_pts
        pts = max(pts, self._last_pts + 1)  # the muxer refuses repeated timestamps
        self._last_pts = pts
        return pts

    def finish(self) -> None:
        self._container.mux(self._stream.encode(None))
        self._container.close()

    def abandon(self) -> None:
        """Close after a failure; the staging folder holding the file is removed anyway."""
        with contextlib.suppress(av.FFmpegError):
            self._container.close()
