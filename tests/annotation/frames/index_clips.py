"""Test clips whose every frame carries its own index as a binary code, rendered with PyAV.

A frame shows, as players show it: a top band of 10 cells (a white start cell, then
the index in 9 bits, most significant first, white = 1) and a bottom band, red on
the left and green on the right. ``read_index`` reads a stored JPEG back; it returns
None when the layout is not where it should be (a frame stored sideways or mirrored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CELLS, BITS = 10, 9
WHITE, BLACK, GREY = (255, 255, 255), (0, 0, 0), (110, 110, 110)
RED, GREEN = (220, 30, 30), (30, 200, 30)


@dataclass(frozen=True)
class ClipSpec:
    frames: int
    width: int = 160  # as displayed
    height: int = 96
    fps: int = 25
    container: str = "mp4"
    faststart: bool = True
    b_frames: int = 0
    start_pts: int = 0  # in 1/fps units, unless pts_steps is given
    pts_steps: tuple[int, ...] = ()  # variable frame rate: durations in ms, cycled
    rotation: int = 0  # counter-clockwise display rotation written to the container
    gop: int = 250
    codec: str = "libx264"
    colorspace: int = 0  # 0: untagged; 1: BT.709, as HD cameras tag their clips
    x264: dict[str, str] = field(default_factory=dict)


def index_image(index: int, width: int, height: int) -> np.ndarray:
    image = np.empty((height, width, 3), np.uint8)
    image[:] = GREY
    band = round(height * 0.45)
    bits = [1] + [(index >> (BITS - 1 - b)) & 1 for b in range(BITS)]
    for cell, bit in enumerate(bits):
        x0, x1 = round(cell * width / CELLS), round((cell + 1) * width / CELLS)
        image[:band, x0:x1] = WHITE if bit else BLACK
    bottom = round(height * 0.7)
    image[bottom:, : width // 2] = RED
    image[bottom:, width // 2 :] = GREEN
    return image


def read_index(image: np.ndarray) -> int | None:
    height, width = image.shape[:2]

    def patch(cx: float, cy: float) -> np.ndarray:
        dx, dy = max(1, round(width / 50)), max(1, round(height / 25))
        x, y = round(cx), round(cy)
        return image[y - dy : y + dy + 1, x - dx : x + dx + 1].reshape(-1, 3).mean(axis=0)

    red, green = patch(width * 0.25, height * 0.85), patch(width * 0.75, height * 0.85)
    if not (red[0] > 150 > red[1] and green[1] > 150 > green[0]):
        return None
    cells = [patch((c + 0.5) * width / CELLS, height * 0.22).mean() for c in range(CELLS)]
    if cells[0] < 200:
        return None
    value = 0
    for level in cells[1:]:
        if 60 < level < 190:
            return None  # neither black nor white: not a cell centre
        value = value * 2 + (level >= 190)
    return int(value)


def read_index_file(path: Path) -> int | None:
    from PIL import Image

    return read_index(np.asarray(Image.open(path).convert("RGB")))


def write_clip(path: Path, spec: ClipSpec) -> Path:
    options = {"movflags": "+faststart"} if spec.container == "mp4" and spec.faststart else {}
    time_base = Fraction(1, 1000) if spec.pts_steps else Fraction(1, spec.fps)
    with av.open(str(path), mode="w", format=spec.container, options=options) as container:
        stream = _add_stream(container, spec, time_base)
        for index, pts in enumerate(_timestamps(spec)):
            frame = av.VideoFrame.from_ndarray(
                _stored(index_image(index, spec.width, spec.height), spec), format="rgb24"
            )
            frame.pts, frame.time_base = pts, time_base
            if spec.colorspace:
                frame.colorspace = spec.colorspace  # the RGB -> YUV conversion and the stream tag
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _add_stream(container, spec: ClipSpec, time_base: Fraction):
    stream = container.add_stream(spec.codec, rate=spec.fps)
    stored_w, stored_h = (spec.height, spec.width) if spec.rotation % 180 else (spec.width, spec.height)
    stream.width, stream.height, stream.pix_fmt = stored_w, stored_h, "yuv420p"
    stream.codec_context.time_base = time_base
    if spec.codec == "libx264":
        stream.options = {
            "preset": "ultrafast" if not spec.b_frames else "fast",
            "crf": "18",
            "bf": str(spec.b_frames),
            "g": str(spec.gop),
            **spec.x264,
        }
    if spec.rotation:
        stream.set_display_rotation(spec.rotation)
    if spec.colorspace:
        stream.codec_context.colorspace = spec.colorspace
    return stream


def _timestamps(spec: ClipSpec) -> list[int]:
    if not spec.pts_steps:
        return [spec.start_pts + i for i in range(spec.frames)]
    pts, out = spec.start_pts, []
    for i in range(spec.frames):
        out.append(pts)
        pts += spec.pts_steps[i % len(spec.pts_steps)]
    return out


def _stored(display: np.ndarray, spec: ClipSpec) -> np.ndarray:
    """The pixels to encode so that a player, turning by ``rotation``, shows ``display``."""
    return np.ascontiguousarray(np.rot90(display, k=(-spec.rotation // 90) % 4))


def decode_all(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


# --- broken and extreme inputs, generated at test time ------------------------------


def write_broken_corpus(folder: Path) -> dict[str, Path]:
    """Files that must each end ``failed`` with a clear reason, or ``ready``."""
    files = {
        "empty": _write(folder / "empty.mp4", b""),
        "text_renamed": _write(folder / "text_renamed.mp4", b"Not a video, just text with an .mp4 name.\n" * 40),
        "audio_only": _audio_only(folder / "audio_only.mp4"),
        "zero_length_stream": _stream_without_frames(folder / "zero_length_stream.avi", "avi"),
        "empty_track": _stream_without_frames(folder / "empty_track.mp4", "mp4"),
        "unknown_codec": _unknown_codec(folder / "unknown_codec.avi"),
        "one_frame": write_clip(folder / "one_frame.mp4", ClipSpec(frames=1)),
        "eight_k": write_clip(folder / "eight_k.mp4", ClipSpec(frames=1, width=7680, height=4320)),
    }
    whole = write_clip(folder / "whole.mp4", ClipSpec(frames=50, faststart=False)).read_bytes()
    files["truncated"] = _write(folder / "truncated.mp4", whole[: len(whole) // 2])  # index (moov) at the end: lost
    whole = write_clip(folder / "whole_faststart.mp4", ClipSpec(frames=50)).read_bytes()
    files["truncated_faststart"] = _write(folder / "truncated_faststart.mp4", whole[: len(whole) * 2 // 3])
    return files


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _audio_only(path: Path) -> Path:
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        for n in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, n * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _stream_without_frames(path: Path, container_format: str) -> Path:
    """A container declaring an H.264 stream that holds no frame at all."""
    with av.open(str(path), mode="w", format=container_format) as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 25)
        frame = av.VideoFrame.from_ndarray(index_image(0, 160, 96), format="rgb24")
        frame.pts, frame.time_base = 0, Fraction(1, 25)
        stream.encode(frame), stream.encode(None)  # opens the encoder (codec header); packets dropped
        container.start_encoding()
    return path


def _unknown_codec(path: Path) -> Path:
    """An AVI whose codec tag no decoder knows."""
    write_clip(path, ClipSpec(frames=5, container="avi", codec="mpeg4"))
    path.write_bytes(path.read_bytes().replace(b"FMP4", b"QQ99"))
    return path
