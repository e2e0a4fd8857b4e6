"""The model-view strategies, to the index: uniform-K segment centres and the MAC 2026 rule."""

from fractions import Fraction

import pytest

from annotation.frames.sampling import mac2026_indices, model_view_indices, scrub_stride, uniform_indices


@pytest.mark.parametrize(
    "frame_count, k, expected",
    [
        (120, 8, [7, 22, 37, 52, 67, 82, 97, 112]),  # floor((2i + 1) * 120 / 16)
        (48, 8, [3, 9, 15, 21, 27, 33, 39, 45]),
        (9, 8, [0, 1, 2, 3, 5, 6, 7, 8]),
        (8, 8, [0, 1, 2, 3, 4, 5, 6, 7]),
        (3, 8, [0, 1, 2]),  # fewer frames than K: each frame once
        (1, 8, [0]),
        (0, 8, []),
        (100, 5, [10, 30, 50, 70, 90]),
    ],
)
def test_uniform_takes_the_centre_frame_of_each_segment(frame_count, k, expected):
    assert uniform_indices(frame_count, k) == expected


def test_uniform_indices_are_distinct_increasing_and_in_range():
    for frame_count in range(1, 400):
        indices = uniform_indices(frame_count, 8)
        assert indices == sorted(set(indices)) and len(indices) == min(8, frame_count)
        assert indices[0] >= 0 and indices[-1] < frame_count


def test_uniform_refuses_k_below_one():
    with pytest.raises(ValueError, match="k >= 1"):
        uniform_indices(10, 0)


@pytest.mark.parametrize(
    "fps, frame_count, expected",
    [
        (30, 120, [0, 10, 20, 30, 40, 50, 60, 70]),  # step min(10, 15) = 10
        (25, 60, [0, 7, 14, 21, 28, 35, 42, 49]),  # step min(round(8.33) = 8, 60 // 8 = 7) = 7
        (Fraction(30000, 1001), 63, [0, 7, 14, 21, 28, 35, 42, 49]),  # 29.97 fps: min(10, 7)
        (30, 300, [0, 10, 20, 30, 40, 50, 60, 70]),  # long clips see only their start: the rule as published
        (60, 10, [0, 1, 2, 3, 4, 5, 6, 7]),  # step max(1, min(20, 1)) = 1
        (30, 5, [0, 1, 2, 3, 4]),  # step max(1, 0): every frame, at most 8
        (7.5, 100, [0, 2, 4, 6, 8, 10, 12, 14]),  # round(2.5) == 2: Python rounds halves to even
        (30, 1, [0]),
        (30, 0, []),
    ],
)
def test_mac2026_rule(fps, frame_count, expected):
    assert mac2026_indices(fps, frame_count) == expected


def test_model_view_names_every_stored_strategy():
    assert model_view_indices(frame_count=16, fps=Fraction(24), uniform_k=4) == {
        "uniform-4": [2, 6, 10, 14],
        "mac2026": [0, 2, 4, 6, 8, 10, 12, 14],
        "single-frame": [8],  # the middle frame
    }


@pytest.mark.parametrize(
    "frame_count, cap, stride", [(150, 600, 1), (600, 600, 1), (601, 600, 2), (1800, 600, 3), (0, 600, 1)]
)
def test_scrub_stride_keeps_every_frame_up_to_the_cap(frame_count, cap, stride):
    assert scrub_stride(frame_count, cap) == stride
