"""Checks against the real published MA-Bench sample in ../shared/data (never copied here)."""

import collections
import json

import pytest

from annotation.domain.mac_format import (
    clip_name_of,
    item_fields_from_row,
    join_embedded_options,
    split_embedded_options,
)
from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS, QUESTIONS_PER_VIDEO, TASKS
from annotation.models import QAItem


@pytest.fixture(scope="module")
def sample_rows(shared_data):
    return json.loads((shared_data / "mabench" / "mabench_data_sample_100.json").read_text())


def test_the_project_taxonomy_is_the_published_ma52_label_set(shared_data):
    published = json.loads((shared_data / "ma52_taxonomy.json").read_text())
    assert [(c["code"], c["name"]) for c in published["coarse"]] == [(c.code, c.name) for c in COARSE_LABELS.values()]
    assert [(f["code"], f["index"], f["name"], f["coarse"]) for f in published["fine"]] == [
        (f.code, f.index, f.name, f.coarse) for f in FINE_LABELS.values()
    ]


def test_the_task_mix_matches_the_sample(sample_rows):
    per_clip = collections.defaultdict(collections.Counter)
    for row in sample_rows:
        per_clip[clip_name_of(row)][row["task"]] += 1
    assert len(per_clip) == 100
    for counts in per_clip.values():
        assert sum(counts.values()) == QUESTIONS_PER_VIDEO
        assert counts == {code: task.per_video for code, task in TASKS.items()}


def test_every_choice_question_splits_into_stem_and_options_and_rebuilds_exactly(sample_rows):
    for row in sample_rows:
        stem, options = split_embedded_options(row["question"])
        assert join_embedded_options(stem, options) == row["question"], row["qid"]
        assert len(options) == TASKS[row["task"]].option_count, row["qid"]


def test_every_published_row_is_a_valid_item(sample_rows, benchmark, video):
    for row in sample_rows:
        item = QAItem(benchmark=benchmark, video=video, **item_fields_from_row(row))
        item.full_clean(exclude=["benchmark", "video"], validate_unique=False)
