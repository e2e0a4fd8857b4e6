"""Render a synthetic interview clip: a seated stick figure performing one MA-52 micro-action.

The figure faces the camera, so the subject's right side is on the image's left.
Every motion is laid out over three phases (early, middle, late thirds of the clip);
``demo.content`` describes exactly these motions in its captions and questions.
Geometry is defined on a 320x240 reference canvas and scaled to the requested size.
"""

from __future__ import annotations

import math
import os
import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from annotation.domain.taxonomy import FINE_LABELS

Point = tuple[float, float]

REF_WIDTH, REF_HEIGHT = 320, 240
SUPERSAMPLE = 2  # draw at twice the size and downscale, for smooth lines

BACKGROUND = (18, 22, 30)
FIGURE_COLOUR = (236, 232, 220)
CHAIR_COLOUR = (112, 120, 146)
EYE_COLOUR = BACKGROUND
COUNTER_COLOUR = (255, 236, 140)

HEAD_RADIUS = 15.0
HAND_RADIUS = 5.5
FIST_RADIUS = 2.5

# Subject's right ("r_") is on the image's left (smaller x).
BASE_JOINTS: dict[str, Point] = {
    "head": (160, 58),
    "neck": (160, 78),
    "pelvis": (160, 146),
    "r_shoulder": (141, 86),
    "l_shoulder": (179, 86),
    "r_elbow": (131, 120),
    "l_elbow": (189, 120),
    "r_hand": (145, 150),
    "l_hand": (175, 150),
    "r_hip": (150, 148),
    "l_hip": (170, 148),
    "r_knee": (136, 178),
    "l_knee": (184, 178),
    "r_foot": (134, 218),
    "l_foot": (186, 218),
}

CHAIR_LINES: tuple[tuple[Point, Point], ...] = (
    ((116, 152), (204, 152)),  # seat
    ((120, 152), (120, 224)),  # front legs
    ((200, 152), (200, 224)),
    ((124, 152), (124, 96)),  # backrest posts and rail, behind the figure
    ((196, 152), (196, 96)),
    ((124, 96), (196, 96)),
)


@dataclass(frozen=True)
class RenderedClip:
    path: Path
    frame_count: int
    fps: int
    width: int
    height: int
    action: str


@dataclass
class Pose:
    joints: dict[str, Point] = field(default_factory=lambda: dict(BASE_JOINTS))
    head_tilt: float = 0.0  # radians; positive tilts toward the subject's right shoulder
    right_hand_radius: float = HAND_RADIUS


# --- easing -------------------------------------------------------------------


def smoothstep(edge0: float, edge1: float, t: float) -> float:
    x = min(1.0, max(0.0, (t - edge0) / (edge1 - edge0)))
    return x * x * (3 - 2 * x)


def bump(rise_start: float, rise_end: float, fall_start: float, fall_end: float, t: float) -> float:
    """0 -> 1 over the rise, hold, 1 -> 0 over the fall."""
    return smoothstep(rise_start, rise_end, t) - smoothstep(fall_start, fall_end, t)


def lerp(a: Point, b: Point, w: float) -> Point:
    return (a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w)


def _move(pose: Pose, joint: str, target: Point, w: float) -> None:
    pose.joints[joint] = lerp(BASE_JOINTS[joint], target, w)


def _shift(pose: Pose, joint: str, dx: float = 0.0, dy: float = 0.0) -> None:
    x, y = pose.joints[joint]
    pose.joints[joint] = (x + dx, y + dy)


# --- the twelve motions: pose(t in [0, 1], amplitude factor) -------------------


def _nodding(pose: Pose, t: float, amp: float) -> None:
    # three down-up bobs, one per third
    _shift(pose, "head", dy=9 * amp * abs(math.sin(3 * math.pi * t)))


def _shaking_head(pose: Pose, t: float, amp: float) -> None:
    # one right-left-centre swing per third; negative x is the subject's right
    _shift(pose, "head", dx=-10 * amp * math.sin(6 * math.pi * t))


def _tilting_head(pose: Pose, t: float, amp: float) -> None:
    angle = 0.5 * amp * bump(0.03, 0.30, 0.70, 0.97, t)
    nx, ny = BASE_JOINTS["neck"]
    reach = ny - BASE_JOINTS["head"][1]
    pose.joints["head"] = (nx - reach * math.sin(angle), ny - reach * math.cos(angle))
    pose.head_tilt = angle


def _bowing_head(pose: Pose, t: float, amp: float) -> None:
    _shift(pose, "head", dy=13 * amp * smoothstep(0.03, 0.30, t))


def _waving(pose: Pose, t: float, amp: float) -> None:
    raised = bump(0.0, 0.30, 0.70, 0.98, t)
    _move(pose, "r_elbow", (116, 104), raised)
    _move(pose, "r_hand", (114, 62), raised)
    swing = -9 * amp * bump(0.34, 0.38, 0.62, 0.66, t) * math.sin(2 * math.pi * (t - 0.34) / 0.16)
    _shift(pose, "r_hand", dx=swing)
    _shift(pose, "r_elbow", dx=0.3 * swing)


def _stretching_arms(pose: Pose, t: float, amp: float) -> None:
    out = bump(0.03, 0.30, 0.70, 0.97, t) * amp
    _move(pose, "r_elbow", (110, 84), out)
    _move(pose, "r_hand", (84, 64), out)
    _move(pose, "l_elbow", (210, 84), out)
    _move(pose, "l_hand", (236, 64), out)


def _clenching_fist(pose: Pose, t: float, amp: float) -> None:
    lifted = smoothstep(0.03, 0.30, t)
    _move(pose, "r_elbow", (134, 124), lifted)
    _move(pose, "r_hand", (150, 114), lifted)
    closed = smoothstep(0.37, 0.63, t)
    pose.right_hand_radius = HAND_RADIUS + (FIST_RADIUS - HAND_RADIUS) * closed * min(amp, 1.0)


def _shaking_legs(pose: Pose, t: float, amp: float) -> None:
    # the knee stays put; the right foot swings subject-right first, six cycles
    _shift(pose, "r_foot", dx=-7 * amp * smoothstep(0.0, 0.08, t) * math.sin(12 * math.pi * t))


def _shrugging(pose: Pose, t: float, amp: float) -> None:
    lift = 9 * amp * bump(0.03, 0.30, 0.70, 0.97, t)
    for side in ("r", "l"):
        _shift(pose, f"{side}_shoulder", dy=-lift)
        _shift(pose, f"{side}_elbow", dy=-0.5 * lift)


def _touching_nose(pose: Pose, t: float, amp: float) -> None:
    reach = bump(0.03, 0.30, 0.70, 0.97, t)
    _move(pose, "r_elbow", (126, 104), reach)
    _move(pose, "r_hand", (158, 65), reach)


def _patting_legs(pose: Pose, t: float, amp: float) -> None:
    reached = smoothstep(0.0, 0.28, t)
    _move(pose, "r_elbow", (128, 142), reached)
    _move(pose, "r_hand", (137, 171), reached)
    # four pats over the middle and late thirds
    lift = 10 * amp * abs(math.sin(6 * math.pi * (t - 1 / 3))) if t > 1 / 3 else 0.0
    _shift(pose, "r_hand", dy=-lift)
    _shift(pose, "r_elbow", dy=-0.5 * lift)


def _crossing_arms(pose: Pose, t: float, amp: float) -> None:
    right = smoothstep(0.03, 0.30, t)
    left = smoothstep(0.37, 0.63, t)
    _move(pose, "r_elbow", (146, 126), right)
    _move(pose, "r_hand", (180, 106), right)
    _move(pose, "l_elbow", (174, 126), left)
    _move(pose, "l_hand", (140, 106), left)


MOTIONS: dict[str, Callable[[Pose, float, float], None]] = {
    "B1": _nodding,
    "B2": _shaking_head,
    "B4": _tilting_head,
    "B5": _bowing_head,
    "C5": _waving,
    "C4": _stretching_arms,
    "C12": _clenching_fist,
    "D3": _shaking_legs,
    "A4": _shrugging,
    "F1": _touching_nose,
    "G2": _patting_legs,
    "E5": _crossing_arms,
}
SUPPORTED_ACTIONS: tuple[str, ...] = tuple(MOTIONS)


def pose_at(action: str, t: float, *, amplitude: float = 1.0) -> Pose:
    """The figure's pose at clip time ``t`` (0 = first frame, 1 = last frame)."""
    pose = Pose()
    MOTIONS[_checked_action(action)](pose, t, amplitude)
    return pose


def _checked_action(action: str) -> str:
    if action not in MOTIONS:
        supported = ", ".join(f"{code} {FINE_LABELS[code].name}" for code in SUPPORTED_ACTIONS)
        raise ValueError(f"no demo motion for micro-action {action!r}; supported: {supported}")
    return action


# --- drawing ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Canvas:
    draw: ImageDraw.ImageDraw
    sx: float
    sy: float
    x_offset: float  # seed-driven sideways placement, in reference pixels

    @property
    def unit(self) -> float:
        return min(self.sx, self.sy)

    def px(self, p: Point) -> Point:
        return ((p[0] + self.x_offset) * self.sx, p[1] * self.sy)

    def line(self, *points: Point, colour: tuple[int, int, int] = FIGURE_COLOUR, width: float = 3.0) -> None:
        self.draw.line([self.px(p) for p in points], fill=colour, width=max(1, round(width * self.unit)), joint="curve")

    def disc(self, centre: Point, radius: float, *, fill: tuple[int, int, int] | None, outline: bool = False) -> None:
        x, y = self.px(centre)
        r = radius * self.unit
        width = max(1, round(3 * self.unit)) if outline else 0
        outline_colour = FIGURE_COLOUR if outline else None
        self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=outline_colour, width=width)


def _draw_chair(canvas: _Canvas) -> None:
    for start, end in CHAIR_LINES:
        canvas.line(start, end, colour=CHAIR_COLOUR, width=2.5)


def _draw_figure(canvas: _Canvas, pose: Pose) -> None:
    j = pose.joints
    canvas.line(j["neck"], j["pelvis"])
    canvas.line(j["r_shoulder"], j["neck"], j["l_shoulder"])
    canvas.line(j["r_hip"], j["l_hip"])
    for side in ("r", "l"):
        canvas.line(j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_foot"])
        toe = 8 if side == "l" else -8
        canvas.line(j[f"{side}_foot"], (j[f"{side}_foot"][0] + toe, j[f"{side}_foot"][1]))
    _draw_head(canvas, pose)
    for side in ("r", "l"):
        canvas.line(j[f"{side}_shoulder"], j[f"{side}_elbow"], j[f"{side}_hand"])
    canvas.disc(j["r_hand"], pose.right_hand_radius, fill=FIGURE_COLOUR)
    canvas.disc(j["l_hand"], HAND_RADIUS, fill=FIGURE_COLOUR)


def _draw_head(canvas: _Canvas, pose: Pose) -> None:
    head = pose.joints["head"]
    neck = pose.joints["neck"]
    chin = lerp(head, neck, HEAD_RADIUS / math.dist(head, neck))
    canvas.line(neck, chin)
    canvas.disc(head, HEAD_RADIUS, fill=BACKGROUND, outline=True)
    cos_t, sin_t = math.cos(pose.head_tilt), math.sin(pose.head_tilt)
    for ex, ey in ((-5.0, -2.0), (5.0, -2.0)):
        # rotate the eye offset with the head so a tilt is visible on a round head
        eye = (head[0] + ex * cos_t + ey * sin_t, head[1] - ex * sin_t + ey * cos_t)
        canvas.disc(eye, 1.8, fill=FIGURE_COLOUR)


def _counter_font(height: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=max(10, round(height / 17)))
    except TypeError:  # a Pillow without FreeType has only the fixed bitmap font
        return ImageFont.load_default()


def render_frame(pose: Pose, *, index: int, width: int, height: int, x_offset: float = 0.0) -> np.ndarray:
    """One RGB frame (height x width x 3, uint8) with the frame counter in the top-left corner."""
    big = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), BACKGROUND)
    canvas = _Canvas(ImageDraw.Draw(big), width * SUPERSAMPLE / REF_WIDTH, height * SUPERSAMPLE / REF_HEIGHT, x_offset)
    _draw_chair(canvas)
    _draw_figure(canvas, pose)
    image = big.resize((width, height), Image.Resampling.BOX)
    # the counter is drawn after downscaling so the glyphs stay sharp
    ImageDraw.Draw(image).text((3, 2), f"#{index:03d}", fill=COUNTER_COLOUR, font=_counter_font(height))
    return np.asarray(image)


# --- encoding ---------------------------------------------------------------------


def _frames(action: str, *, frame_count: int, width: int, height: int, seed: int) -> Iterator[np.ndarray]:
    rng = random.Random(seed)
    amplitude = 0.85 + 0.3 * rng.random()
    x_offset = rng.uniform(-4.0, 4.0)
    for index in range(frame_count):
        t = index / (frame_count - 1) if frame_count > 1 else 0.0
        pose = pose_at(action, t, amplitude=amplitude)
        yield render_frame(pose, index=index, width=width, height=height, x_offset=x_offset)


def _encode_h264(frames: Iterator[np.ndarray], path: Path, *, fps: int, width: int, height: int) -> None:
    time_base = Fraction(1, fps)
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps, 1))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = time_base
        stream.options = {"crf": "20", "preset": "medium"}
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _validate(*, seconds: float, fps: int, width: int, height: int) -> int:
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"width and height must be positive and even for yuv420p, got {width}x{height}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    frame_count = round(seconds * fps)
    if frame_count < 1:
        raise ValueError(f"{seconds} s at {fps} fps is less than one frame")
    return frame_count


def render_micro_action_clip(
    path: Path,
    *,
    action: str,
    seconds: float = 2.4,
    fps: int = 25,
    width: int = 320,
    height: int = 240,
    seed: int = 0,
) -> RenderedClip:
    """Render ``action`` (an MA-52 fine code) to an H.264 MP4 at ``path``, atomically."""
    _checked_action(action)
    frame_count = _validate(seconds=seconds, fps=fps, width=width, height=height)
    path = Path(path)
    # same folder, so os.replace is an atomic rename; a killed render leaves only a .part file
    tmp_path = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.mp4.part")
    try:
        frames = _frames(action, frame_count=frame_count, width=width, height=height, seed=seed)
        _encode_h264(frames, tmp_path, fps=fps, width=width, height=height)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return RenderedClip(path=path, frame_count=frame_count, fps=fps, width=width, height=height, action=action)
