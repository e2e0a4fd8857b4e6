"""The synthetic clip renderer: real H.264 files whose pixels move where the action says."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest

from demo import figure_clips
from demo.figure_clips import SUPPORTED_ACTIONS, RenderedClip, pose_at, render_micro_action_clip

SMALL = {"seconds": 1.0, "fps": 25, "width": 160, "height": 120}

# Regions as fractions of (x0, y0, x1, y1) of the frame; the figure sits in the middle.
HEAD_REGION = (0.38, 0.10, 0.62, 0.38)
LEG_REGION = (0.30, 0.75, 0.70, 0.97)
COUNTER_REGION = (0.0, 0.0, 0.25, 0.12)


def decode(path: Path) -> tuple[list[np.ndarray], av.video.stream.VideoStream]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    return frames, stream


def crop(frame: np.ndarray, region: tuple[float, float, float, float]) -> np.ndarray:
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = region
    return frame[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)].astype(np.int16)


def region_motion(frames: list[np.ndarray], region: tuple[float, float, float, float]) -> float:
    """Mean absolute difference between consecutive frames inside ``region``."""
    return float(np.mean([np.abs(crop(b, region) - crop(a, region)).mean() for a, b in itertools.pairwise(frames)]))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[RenderedClip, list[np.ndarray]]]:
    folder = tmp_path_factory.mktemp("clips")
    clips = {}
    for action in ("B1", "D3"):
        clip = render_micro_action_clip(folder / f"{action}.mp4", action=action, seed=5, **SMALL)
        clips[action] = (clip, decode(clip.path)[0])
    return clips


def test_render_decodes_to_expected_frames_size_fps_and_h264(tmp_path):
    clip = render_micro_action_clip(tmp_path / "nod.mp4", action="B1", seconds=1.2, fps=20, width=160, height=120)

    frames, stream = decode(clip.path)
    assert clip == RenderedClip(path=tmp_path / "nod.mp4", frame_count=24, fps=20, width=160, height=120, action="B1")
    assert len(frames) == round(1.2 * 20) == 24
    assert frames[0].shape == (120, 160, 3)
    assert stream.codec_context.name == "h264"
    assert stream.codec_context.pix_fmt == "yuv420p"
    assert stream.average_rate == 20


def test_default_clip_is_2_4_seconds_at_25_fps_320x240(tmp_path):
    clip = render_micro_action_clip(tmp_path / "wave.mp4", action="C5")

    frames, stream = decode(clip.path)
    assert (clip.frame_count, len(frames), frames[0].shape) == (60, 60, (240, 320, 3))
    assert stream.average_rate == 25


def test_only_the_final_file_remains(tmp_path):
    render_micro_action_clip(tmp_path / "clip.mp4", action="B2", **SMALL)

    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_failed_encode_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    final = tmp_path / "clip.mp4"
    final.write_bytes(b"previous clip")

    def half_write_then_die(frames, path, **_):
        path.write_bytes(b"\x00\x00\x00\x18ftypisom")
        raise KeyboardInterrupt

    monkeypatch.setattr(figure_clips, "_encode_h264", half_write_then_die)
    with pytest.raises(KeyboardInterrupt):
        render_micro_action_clip(final, action="B1", **SMALL)

    assert final.read_bytes() == b"previous clip"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_nodding_moves_the_head_and_shaking_legs_moves_the_legs(rendered):
    nod = rendered["B1"][1]
    shake = rendered["D3"][1]

    assert region_motion(nod, HEAD_REGION) > 3 * region_motion(shake, HEAD_REGION)
    assert region_motion(shake, LEG_REGION) > 3 * region_motion(nod, LEG_REGION)


def test_frame_counter_is_drawn_and_changes(rendered):
    frames = rendered["B1"][1]
    counter_0, counter_10 = crop(frames[0], COUNTER_REGION), crop(frames[10], COUNTER_REGION)

    assert counter_0.max() > 150  # light glyphs on the dark background
    assert np.abs(counter_10 - counter_0).mean() > 2


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    a = render_micro_action_clip(tmp_path / "a.mp4", action="C5", seed=3, **SMALL)
    b = render_micro_action_clip(tmp_path / "b.mp4", action="C5", seed=3, **SMALL)
    c = render_micro_action_clip(tmp_path / "c.mp4", action="C5", seed=4, **SMALL)

    assert a.path.read_bytes() == b.path.read_bytes()
    frames_a, frames_c = decode(a.path)[0], decode(c.path)[0]
    assert any(not np.array_equal(x, y) for x, y in zip(frames_a, frames_c, strict=True))


def test_unknown_action_is_rejected_naming_the_supported_ones(tmp_path):
    with pytest.raises(ValueError) as raised:
        render_micro_action_clip(tmp_path / "x.mp4", action="A1", **SMALL)  # A1 Shaking body: no motion drawn
    message = str(raised.value)
    assert "'A1'" in message and "B1 Nodding" in message and "E5 Crossing arms" in message
    with pytest.raises(ValueError, match="'Z9'"):
        render_micro_action_clip(tmp_path / "x.mp4", action="Z9", **SMALL)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("width, height", [(161, 120), (160, 121), (0, 120)])
def test_odd_or_empty_sizes_are_rejected(tmp_path, width, height):
    with pytest.raises(ValueError, match="even"):
        render_micro_action_clip(tmp_path / "x.mp4", action="B1", seconds=1.0, width=width, height=height)


def test_twelve_actions_each_with_its_own_motion():
    samples = np.linspace(0, 1, 31)

    def trajectory(action: str) -> np.ndarray:
        poses = [pose_at(action, t) for t in samples]
        return np.array([[*np.ravel(list(p.joints.values())), 20 * p.head_tilt, p.right_hand_radius] for p in poses])

    assert len(set(SUPPORTED_ACTIONS)) == len(SUPPORTED_ACTIONS) >= 12
    still = trajectory("B1")[0]
    paths = {action: trajectory(action) for action in SUPPORTED_ACTIONS}
    for action, path in paths.items():
        assert np.abs(path - still).max() > 5, f"{action} barely moves"
    for (a, path_a), (b, path_b) in itertools.combinations(paths.items(), 2):
        assert np.abs(path_a - path_b).max() > 5, f"{a} and {b} move alike"
