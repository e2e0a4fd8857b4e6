"""`import_benchmark` on the real published sample: 1,200 items on 100 clips, and the
faults the sample really has are flagged (qids found by reading the data)."""

import io
import json

import pytest
from django.core.management import call_command

from annotation.domain.taxonomy import TASKS
from annotation.models import Benchmark, QAItem, QualityFlag

# FMAR items whose option list repeats a label (found in the sample by inspection): each time the key's label,
# so two right answers (ambiguous_key; tests/acceptance/test_ambiguous_keys_on_sample.py finds them by computation).
AMBIGUOUS_KEY_ITEMS = {
    "FMAR_0165",
    "FMAR_0342",
    "FMAR_0765",
    "FMAR_0814",
    "FMAR_0856",
    "FMAR_0879",
    "FMAR_0891",
    "FMAR_0907",
}
# Comprehension questions that name their clip's fine-grained label, i.e. the FMAR answer.
LABEL_LEAK_ITEMS = {
    "MAD_0911",
    "MAD_1080",
    "MAD_1256",
    "MAD_1257",
    "MAD_1270",
    "MAD_1306",
    "MAD_1328",
    "MAD_1329",
    "MAD_1476",
    "MAD_1660",
    "MAS_1081",
    "MAS_1661",
    "SAD_0002",
    "SAD_0524",
    "SAD_0660",
    "SAD_0924",
    "SAD_1138",
    "SAD_1184",
    "SAD_1256",
    "SAD_1257",
    "SAD_1270",
    "SAD_1306",
    "SAD_1386",
    "SAD_1477",
    "SAD_1599",
    "SAD_1660",
    "SAD_1661",
    "SAD_1696",
    "SAD_1944",
}

# MADU reference answers that name their clip's fine-grained label ("a pronounced waving motion"):
# MADU asks for the movements, not the label.
MADU_LABEL_ITEMS = {"MADU_0105", "MADU_0462", "MADU_0592", "MADU_0628", "MADU_0635", "MADU_0830"}


@pytest.fixture
def imported(db, shared_data):
    out = io.StringIO()
    call_command(
        "import_benchmark",
        "--in-process",
        str(shared_data / "mabench" / "mabench_data_sample_100.json"),
        "--benchmark",
        "MA-Bench sample",
        "--source",
        "MAC 2026 starter kit",
        stdout=out,
    )
    return Benchmark.objects.get(name="MA-Bench sample"), json.loads(out.getvalue())


def open_flag_qids(kind):
    return set(QualityFlag.objects.filter(kind=kind, status="open").values_list("item__qid", flat=True))


def test_the_sample_imports_1200_items_on_100_clips_in_the_published_task_mix(imported):
    benchmark, summary = imported
    assert (summary["items_created"], summary["videos_created"]) == (1200, 100)
    counts = {task: QAItem.objects.filter(benchmark=benchmark, task=task).count() for task in TASKS}
    assert counts == {code: 100 * task.per_video for code, task in TASKS.items()}
    for tier in ("perception", "comprehension", "reasoning"):
        assert (
            QAItem.objects.filter(benchmark=benchmark).in_tier(tier).count()
            == {"perception": 200, "comprehension": 800, "reasoning": 200}[tier]
        )


def test_lint_flags_exactly_the_ambiguous_key_and_leaked_label_items(imported):
    _, summary = imported
    assert open_flag_qids("ambiguous_key") == AMBIGUOUS_KEY_ITEMS
    assert open_flag_qids("duplicate_options") == set()  # no repeated distractor in the sample
    assert open_flag_qids("label_leak") == LABEL_LEAK_ITEMS | MADU_LABEL_ITEMS
    assert summary["flags_raised"]["ambiguous_key"] == 8 and summary["flags_raised"]["label_leak"] == 35
    assert "options_give_key" not in summary["flags_raised"]  # no option set leaves one possible key


def test_lint_flags_the_unbalanced_sequence_task(imported):
    flag = QualityFlag.objects.get(kind="yes_no_balance")
    assert (flag.target_key, flag.details["yes"], flag.details["no"]) == ("task:MAS", 79, 121)
