"""Every stored frame shows the index it is stored under: B-frames, a late start with no
frame count in the container, variable frame rate, rotation, and a strided long clip."""

from __future__ import annotations

import itertools
from fractions import Fraction

import av
import numpy as np
import pytest
from av.video.frame import PictureType
from django.test import override_settings
from PIL import Image

from annotation.frames.sampling import mac2026_indices, uniform_indices

pytestmark = pytest.mark.django_db


def decoded(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [(frame.pts, PictureType(frame.pict_type).name) for frame in container.decode(stream)]
        return frames, stream.time_base, stream.average_rate


def assert_every_stored_frame_shows_its_index(manifest, index, folder, frame_index):
    scrubbed = [row for row in index["frames"] if "scrub" in row]
    assert scrubbed and [frame_index(folder / row["scrub"]) for row in scrubbed] == [row["index"] for row in scrubbed]
    model_files = manifest["model_view"]["files"]
    assert {int(i): frame_index(folder / name) for i, name in model_files.items()} == {
        int(i): int(i) for i in model_files
    }
    wanted = {i for indices in manifest["model_view"]["strategies"].values() for i in indices}
    assert set(map(int, model_files)) == wanted


def assert_index_matches_an_independent_decode(index, path):
    frames, time_base, _ = decoded(path)
    first = frames[0][0]
    assert [row["index"] for row in index["frames"]] == list(range(len(frames)))
    assert [row["pts"] for row in index["frames"]] == [pts for pts, _ in frames]
    assert [row["time"] for row in index["frames"]] == [round(float(pts * time_base), 6) for pts, _ in frames]
    assert [row["offset"] for row in index["frames"]] == [
        round(float((pts - first) * time_base), 6) for pts, _ in frames
    ]


def test_b_frames_clip(render_clip, processed, frame_index):
    path = render_clip("bframes.mp4", frames=48, b_frames=3)
    assert "B" in {kind for _, kind in decoded(path)[0]}  # the clip really has B-frames

    video, manifest, index, folder = processed(path)

    assert (video.status, video.error) == ("ready", "")
    assert_every_stored_frame_shows_its_index(manifest, index, folder, frame_index)
    assert_index_matches_an_independent_decode(index, path)
    assert (video.frame_count, video.fps_num, video.fps_den, video.width, video.height) == (48, 25, 1, 160, 96)
    assert (video.scrub_stride, manifest["scrub"]["count"], manifest["scrub"]["size"]) == (1, 48, [160, 96])
    assert video.model_view_indices == {
        "uniform-8": uniform_indices(48, 8),
        "mac2026": mac2026_indices(25, 48),
        "single-frame": [24],
    }
    assert video.model_view_indices["mac2026"] == [0, 6, 12, 18, 24, 30, 36, 42]  # step min(round(25/3), 48 // 8) = 6
    assert video.proxy_file == "" and manifest["proxy"] is None  # faststart H.264 MP4 plays as it is
    assert (
        video.frames_manifest
        == f"frames/{video.pk}/{manifest['source']['sha256'][:16]}-{manifest['settings_key']}/manifest.json"
    )


def test_late_start_without_a_container_frame_count_gets_a_proxy(render_clip, processed, frame_index):
    path = render_clip("late.ts", frames=40, container="mpegts", start_pts=30)

    video, manifest, index, folder = processed(path)

    assert manifest["probe"]["container_frame_count"] == 0 and video.frame_count == 40  # counted by decoding
    assert video.start_pts == index["frames"][0]["pts"] > 0 and index["frames"][0]["time"] >= 1.2
    assert index["frames"][0]["offset"] == 0.0
    assert_every_stored_frame_shows_its_index(manifest, index, folder, frame_index)
    assert_index_matches_an_independent_decode(index, path)
    assert "container mpegts is not MP4" in manifest["proxy"]["reason"]
    proxy = folder / "proxy.mp4"
    assert video.proxy_file == f"{video.frames_manifest.rsplit('/', 1)[0]}/proxy.mp4"
    with av.open(str(proxy)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert [s.type for s in container.streams] == ["video"]
        frames = list(container.decode(stream))
    assert [frame_index(frame) for frame in frames] == list(range(40))
    assert proxy.read_bytes()[4:8] == b"ftyp" and proxy.read_bytes().find(b"moov") < proxy.read_bytes().find(b"mdat")
    keyframes = [i for i, frame in enumerate(frames) if frame.key_frame]
    assert keyframes == list(range(0, 40, 10))  # the short GOP


def test_variable_frame_rate_keeps_each_frames_own_time(render_clip, processed, frame_index):
    path = render_clip("vfr.mp4", frames=40, pts_steps=(40, 40, 80, 20, 60))

    video, manifest, index, folder = processed(path)

    offsets = [row["offset"] for row in index["frames"]]
    steps = {round(b - a, 3) for a, b in itertools.pairwise(offsets)}
    assert steps == {0.04, 0.08, 0.02, 0.06}  # never index / fps
    assert_every_stored_frame_shows_its_index(manifest, index, folder, frame_index)
    assert_index_matches_an_independent_decode(index, path)
    fps = Fraction(video.fps_num, video.fps_den)
    assert fps == decoded(path)[2]
    assert video.model_view_indices["mac2026"] == mac2026_indices(fps, 40)


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_clip_is_stored_upright(rotation, render_clip, processed, frame_index):
    path = render_clip(f"rotated{rotation}.mp4", frames=30, width=96, height=160, rotation=rotation)

    video, manifest, index, folder = processed(path)

    assert (video.width, video.height, video.rotation) == (160, 96, rotation)  # as stored; rotation says how to show
    assert manifest["scrub"]["size"] == [96, 160]  # portrait, as players show it
    assert_every_stored_frame_shows_its_index(manifest, index, folder, frame_index)


@override_settings(FRAMES_SCRUB_MAX_FRAMES=20, FRAMES_UNIFORM_K=5)
def test_long_clip_is_scrubbed_at_a_constant_stride(render_clip, processed, frame_index):
    path = render_clip("long.mp4", frames=100, gop=12)

    video, manifest, index, folder = processed(path)

    assert video.scrub_stride == manifest["scrub"]["stride"] == 5  # ceil(100 / 20)
    assert [row["index"] for row in index["frames"] if "scrub" in row] == list(range(0, 100, 5))
    assert sorted(p.name for p in (folder / "scrub").iterdir()) == [f"{i:06d}.jpg" for i in range(0, 100, 5)]
    assert video.model_view_indices["uniform-5"] == [10, 30, 50, 70, 90]
    assert_every_stored_frame_shows_its_index(manifest, index, folder, frame_index)


def test_a_wrong_container_count_is_corrected_by_decoding(render_clip, processed, frame_index):
    # 30 frames with pts from -4: the MP4 declares 30 samples, its edit list hides the first 4,
    # as players do; decoded frame i is rendered frame i + 4
    path = render_clip("edit_list.mp4", frames=30, start_pts=-4)

    video, manifest, index, folder = processed(path)

    assert (manifest["probe"]["container_frame_count"], video.frame_count, len(index["frames"])) == (30, 26, 26)
    assert video.model_view_indices == {
        "uniform-8": uniform_indices(26, 8),
        "mac2026": mac2026_indices(25, 26),
        "single-frame": [13],
    }
    model_files = manifest["model_view"]["files"]
    assert sorted(map(int, model_files)) == sorted(set(uniform_indices(26, 8)) | set(mac2026_indices(25, 26)) | {13})
    assert sorted(p.name for p in (folder / "model").iterdir()) == sorted(
        name.split("/")[1] for name in model_files.values()
    )
    assert {int(i): frame_index(folder / name) for i, name in model_files.items()} == {
        int(i): int(i) + 4 for i in model_files
    }
    assert [frame_index(folder / row["scrub"]) for row in index["frames"]] == list(range(4, 30))


@pytest.mark.parametrize("colorspace", [0, 1])
def test_stored_frames_keep_the_colours_of_an_untagged_or_bt709_clip(colorspace, render_clip, processed):
    path = render_clip(f"colours{colorspace}.mp4", frames=3, colorspace=colorspace)
    with av.open(str(path)) as container:
        first = next(container.decode(video=0))
    assert first.colorspace == (colorspace or 2)  # 2: unspecified
    reference = first.to_ndarray(format="rgb24").astype(int)  # PyAV converts by the clip's own matrix

    video, manifest, index, folder = processed(path)

    for name in ("scrub/000000.jpg", "model/000000.jpg"):
        stored = np.asarray(Image.open(folder / name).convert("RGB")).astype(int)
        for x in (0.25, 0.75):  # the red and the green patch
            patch = (slice(82, 92), slice(round(160 * x) - 5, round(160 * x) + 5))
            assert np.abs(stored[patch].mean(axis=(0, 1)) - reference[patch].mean(axis=(0, 1))).max() < 6, name
