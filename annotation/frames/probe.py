"""Container and stream metadata, and the clear reasons a clip is refused."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from annotation.errors import DomainError

from .pyav import av

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.stream import VideoStream

MP4_FORMAT = "mov,mp4,m4a,3gp,3g2,mj2"


class ClipFailure(DomainError):
    """The clip cannot be processed; the message says why, for the admin and the logs."""


@dataclass(frozen=True)
class Mp4Layout:
    """Top-level boxes of an ISO-BMFF (MP4/MOV) file."""

    boxes: tuple[str, ...]
    truncated: bool  # a box claims to reach beyond the end of the file

    @property
    def faststart(self) -> bool:
        return "moov" in self.boxes and "mdat" in self.boxes and self.boxes.index("moov") < self.boxes.index("mdat")


@dataclass(frozen=True)
class ClipProbe:
    format_name: str
    codec: str
    pix_fmt: str
    profile: str
    width: int
    height: int
    sample_aspect_ratio: Fraction | None
    fps: Fraction | None
    time_base: Fraction
    container_frame_count: int  # 0 when the container does not say
    duration_seconds: float | None
    start_pts: int | None
    mp4: Mp4Layout | None

    def db_fields(self) -> dict:
        return {
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "fps_num": self.fps.numerator if self.fps else None,
            "fps_den": self.fps.denominator if self.fps else None,
            "frame_count": self.container_frame_count or None,
            "duration_seconds": self.duration_seconds,
            "start_pts": self.start_pts,
            "time_base": str(self.time_base),
        }


def mp4_layout(path: Path) -> Mp4Layout | None:
    """The top-level boxes, or None when the file does not start like an MP4/MOV."""
    size = path.stat().st_size
    boxes: list[str] = []
    with path.open("rb") as handle:
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            length, kind = struct.unpack(">I4s", handle.read(8))
            if length == 1 and offset + 16 <= size:
                length = struct.unpack(">Q", handle.read(8))[0]
            elif length == 0:
                length = size - offset
            if not boxes and kind not in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
                return None
            boxes.append(kind.decode("latin-1"))
            if length < 8 or offset + length > size:
                return Mp4Layout(tuple(boxes), truncated=True)
            offset += length
    return Mp4Layout(tuple(boxes), truncated=False) if boxes else None


@contextmanager
def open_video(path: Path) -> Iterator[tuple[InputContainer, VideoStream]]:
    """The container and its first video stream, or a ``ClipFailure`` saying why not."""
    if path.stat().st_size == 0:
        raise ClipFailure("empty file (0 bytes)")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as error:
        raise ClipFailure(_unreadable_reason(path, error)) from error
    with container:
        yield container, _video_stream(container)


def _unreadable_reason(path: Path, error: av.FFmpegError) -> str:
    layout = mp4_layout(path)
    if layout and (layout.truncated or "moov" not in layout.boxes):
        return (
            "truncated file: the MP4 has no complete 'moov' index (it was probably cut off while "
            f"being written or copied); FFmpeg says: {error.strerror}"
        )
    return f"not a video: FFmpeg cannot read a media container from this file ({error.strerror})"


def _video_stream(container: InputContainer) -> VideoStream:
    if not container.streams.video:
        found = ", ".join(sorted({s.type for s in container.streams})) or "none"
        raise ClipFailure(f"no video stream (streams found: {found})")
    stream = container.streams.video[0]
    if stream.codec_context is None:
        raise ClipFailure("unsupported codec: this FFmpeg build has no decoder for the video stream")
    return stream


@dataclass(frozen=True)
class OpenClip:
    """A clip opened once for probing and decoding (opening costs a few tens of ms:
    FFmpeg reads ahead to find the stream parameters)."""

    path: Path
    container: InputContainer
    stream: VideoStream
    probe: ClipProbe


@contextmanager
def opened_clip(path: Path, *, max_pixels: int) -> Iterator[OpenClip]:
    """The clip, open and probed; a ``ClipFailure`` when it cannot be processed."""
    with open_video(path) as (container, stream):
        probe = _probe(container, stream, path)
        _check_complete(probe)
        _check_size(probe, max_pixels)
        yield OpenClip(path=path, container=container, stream=stream, probe=probe)


def _check_complete(probe: ClipProbe) -> None:
    if probe.mp4 and probe.mp4.truncated:
        raise ClipFailure(
            f"truncated file: the MP4's '{probe.mp4.boxes[-1]}' box runs past the end of the file "
            "(it was cut off while being written or copied)"
        )


def _probe(container: InputContainer, stream: VideoStream, path: Path) -> ClipProbe:
    codec = stream.codec_context
    fps = stream.average_rate or stream.guessed_rate or stream.base_rate
    return ClipProbe(
        format_name=container.format.name,
        codec=codec.name,
        pix_fmt=codec.pix_fmt or "",
        profile=codec.profile or "",
        width=codec.width,
        height=codec.height,
        sample_aspect_ratio=stream.sample_aspect_ratio or None,
        fps=Fraction(fps) if fps else None,
        time_base=Fraction(stream.time_base),
        container_frame_count=stream.frames,
        duration_seconds=_duration(container, stream),
        start_pts=stream.start_time,
        mp4=mp4_layout(path) if container.format.name == MP4_FORMAT else None,
    )


def _duration(container: InputContainer, stream: VideoStream) -> float | None:
    if stream.duration:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _check_size(probe: ClipProbe, max_pixels: int) -> None:
    if probe.width <= 0 or probe.height <= 0:
        raise ClipFailure("unreadable: the video stream declares no frame size")
    pixels = probe.width * probe.height
    if pixels > max_pixels:
        raise ClipFailure(
            f"frame size {probe.width}x{probe.height} ({pixels / 1e6:.1f} MP) is above the limit of "
            f"{max_pixels / 1e6:.1f} MP per frame (FRAMES_MAX_PIXELS); the clip is refused rather than "
            "risk the worker's memory"
        )
