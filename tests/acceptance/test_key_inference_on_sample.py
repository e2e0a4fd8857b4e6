"""The key solver on the real published sample: its option sets were not drawn from the
template generator's tables (neither version could have written almost any of them), so
none leaves a single possible key and the solver is at chance."""

import json

import pytest

from annotation.domain.mac_format import item_fields_from_row
from annotation.domain.taxonomy import CHOICE_LETTERS
from annotation.generation.key_inference import CONSTRUCTIONS, chance_interval, infer_key, only_possible_key


@pytest.fixture(scope="module")
def choice_items(shared_data):
    rows = json.loads((shared_data / "mabench" / "mabench_data_sample_100.json").read_text())
    return {
        task: [(item_fields_from_row(row)["options"], row["answer"]) for row in rows if row["task"] == task]
        for task in ("CMAR", "FMAR")
    }


@pytest.mark.parametrize(
    ("task", "generator", "inferable", "writable", "right"),
    [
        ("FMAR", "template-generator 2.0", 92, 2, 19),  # 8 items repeat an option: no set of distinct labels
        ("FMAR", "template-generator 1.0", 92, 1, 19),
        ("CMAR", "template-generator 2.0", 100, 100, 15),
        ("CMAR", "template-generator 1.0", 100, 100, 15),
    ],
)
def test_the_solver_is_at_chance_on_the_published_sample(choice_items, task, generator, inferable, writable, right):
    assert generator in CONSTRUCTIONS
    found = [(infer_key(task, options, generator), key) for options, key in choice_items[task]]
    found = [(inference, key) for inference, key in found if inference is not None]
    assert len(found) == inferable
    assert sum(bool(inference.candidates) for inference, _ in found) == writable  # sets it could have written
    assert not any(inference.determined for inference, _ in found)
    correct = sum(CHOICE_LETTERS[inference.best] == key for inference, key in found)
    low, high = chance_interval(len(found), len(choice_items[task][0][0]))
    assert correct == right and low <= correct <= high


def test_no_published_item_has_options_that_leave_one_possible_key(choice_items):
    assert [
        options for task, items in choice_items.items() for options, _ in items if only_possible_key(task, options)
    ] == []
