"""The datasheet's pure parts: Wilson and bootstrap intervals, and the page/card layout of a section that has
no layout of its own (how a section added later, e.g. evidence spans per task, is shown)."""

import pytest

from annotation.domain.intervals import bootstrap_interval, percentile, wilson_interval
from annotation.exports.dataset_card import markdown_table, size_category
from annotation.exports.datasheet_tables import datasheet_views


def test_wilson_interval_known_values():
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0 and wilson_interval(0, 0) is None


def test_bootstrap_is_seeded_and_skips_undefined_resamples():
    values = list(range(20))
    mean = lambda rows: sum(values[i] for i in rows) / len(rows)  # noqa: E731
    first = bootstrap_interval(20, mean, seed=3, resamples=200)
    assert first == bootstrap_interval(20, mean, seed=3, resamples=200)
    assert first != bootstrap_interval(20, mean, seed=4, resamples=200)
    assert first[0] < 9.5 < first[1]
    assert bootstrap_interval(20, lambda rows: None, seed=1, resamples=10) is None
    assert bootstrap_interval(0, mean, seed=1, resamples=10) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5


def test_a_section_without_a_layout_is_laid_out_from_its_shape():
    sheet = {
        "sections": ["evidence_spans", "digests"],
        "evidence_spans": {
            "SAD": {"task": "SAD", "items_with_span": 3, "median_frames": 12.0, "median_seconds": 0.48},
            "MAS": {"task": "MAS", "items_with_span": 1, "median_frames": 30.0, "median_seconds": 1.2},
        },
        "digests": {"scope": "s", "sha256": {"mac": "ab"}},
    }
    spans, digests = datasheet_views(sheet)
    [table] = spans.tables
    assert spans.title == "Evidence spans"
    assert table.headers == ["", "task", "items_with_span", "median_frames", "median_seconds"]
    assert table.rows[0] == ["SAD", "SAD", "3", "12.00", "0.48"]
    assert digests.tables[0].rows == [["mac", "ab"]]
    assert "| SAD | SAD | 3 | 12.00 | 0.48 |" in markdown_table(table)


def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 12_000, 100_000, 2_000_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "100K<n<1M",
        "n>1M",
    ]


def test_a_wrapped_section_without_a_layout_shows_its_scalars_and_its_tables():
    sheet = {"sections": ["spans"], "spans": {"scope": "s", "tasks": {"SAD": {"median_frames": 12.0}}}}
    [view] = datasheet_views(sheet)
    assert [t.title for t in view.tables] == ["Spans", "Tasks"]
    assert view.tables[0].rows == [["scope", "s"]] and view.tables[1].rows == [["SAD", "12.00"]]
