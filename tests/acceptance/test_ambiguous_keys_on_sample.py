"""Ambiguous keys and key-letter balance on the real published sample, each against a computation of its own
here: plain Python over the file and the MA-52 taxonomy in ../shared/data, sharing no code with lint.

Measured: 8 FMAR items name the key's label in a second option (two right answers), none repeats a
distractor, and no option carries a code suffix; the key letters are close enough to uniform (chi-square
5.3 on CMAR, 0.9 on FMAR, far below the p = 0.001 critical values) that no balance flag is raised.
Balancing them anyway moves 9 CMAR and 4 FMAR keys, the fewest that make the letters uniform."""

import io
import json
import re
from collections import Counter

import pytest
from django.core.management import call_command

from annotation.models import AuditEvent, Benchmark, QAItem, QualityFlag
from review.services.option_balance import options_rebalance

pytestmark = pytest.mark.acceptance

OPTION_LINE = re.compile(r"^([A-G])\.\s*(.+?)\s*$")
# Chi-square critical values at p = 0.001 (statistical tables): 4 degrees of freedom (FMAR), 6 (CMAR).
CRITICAL_AT_0_001 = {4: 18.467, 6: 22.458}
OPTION_COUNT = {"CMAR": 7, "FMAR": 5}


@pytest.fixture(scope="module")
def published(shared_data):
    rows = json.loads((shared_data / "mabench" / "mabench_data_sample_100.json").read_text())
    taxonomy = json.loads((shared_data / "ma52_taxonomy.json").read_text())
    return rows, taxonomy


def _plain(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _label_of(option: str, taxonomy: dict) -> str:
    """The MA-52 label an option names (its codes dropped: ``Shaking head - B2``, ``B2``), else its plain text."""
    codes = {entry["code"]: entry["name"] for entry in taxonomy["fine"]}
    words = [word for word in re.split(r"[\s()\-–:]+", option) if word]
    named = [codes[word] for word in words if word in codes]
    rest = _plain(" ".join(word for word in words if word not in codes))
    names = {_plain(entry["name"]) for entry in taxonomy["fine"] + taxonomy["coarse"]}
    if rest in names:
        return rest
    return _plain(named[0]) if named and not rest else rest


def _choice_rows(rows):
    for row in rows:
        if row["task"] in OPTION_COUNT:
            lines = [OPTION_LINE.match(line) for line in row["question"].splitlines()]
            yield row, {m.group(1): m.group(2) for m in lines if m}


def repeated_labels(rows, taxonomy) -> tuple[set[str], set[str]]:
    """(items where another option names the key's label, items where two other options name one label)."""
    ambiguous, duplicated = set(), set()
    for row, options in _choice_rows(rows):
        labels = Counter(_label_of(text, taxonomy) for text in options.values())
        key_label = _label_of(options[row["answer"]], taxonomy)
        if labels[key_label] > 1:
            ambiguous.add(row["qid"])
        if any(n > 1 for label, n in labels.items() if label != key_label):
            duplicated.add(row["qid"])
    return ambiguous, duplicated


@pytest.fixture
def imported(db, shared_data):
    call_command(
        "import_benchmark",
        "--in-process",
        str(shared_data / "mabench" / "mabench_data_sample_100.json"),
        "--benchmark",
        "sample",
        stdout=io.StringIO(),
    )
    return Benchmark.objects.get(name="sample")


def _open(kind: str) -> set[str]:
    return set(QualityFlag.objects.filter(kind=kind, status="open").values_list("item__qid", flat=True))


def test_lint_flags_exactly_the_items_whose_key_label_another_option_names(published, imported):
    ambiguous, duplicated = repeated_labels(*published)
    assert len(ambiguous) == 8, sorted(ambiguous)
    assert duplicated == set()
    assert _open("ambiguous_key") == ambiguous
    assert _open("duplicate_options") == duplicated
    assert set(QualityFlag.objects.filter(kind="ambiguous_key").values_list("severity", flat=True)) == {"error"}


def _chi_square(counts: Counter, k: int) -> float:
    n = sum(counts.values())
    return sum((counts[letter] - n / k) ** 2 / (n / k) for letter in "ABCDEFG"[:k])


def test_key_letters_of_the_sample_are_within_chance_and_raise_no_balance_flag(published, imported):
    rows, _ = published
    for task, k in OPTION_COUNT.items():
        counts = Counter(row["answer"] for row in rows if row["task"] == task)
        assert _chi_square(counts, k) < CRITICAL_AT_0_001[k - 1]
    assert not QualityFlag.objects.filter(kind="option_position_balance").exists()


def _fewest_moves(counts: Counter, k: int) -> int:
    """Moves to uniform letters: the surplus above q (q + 1 for the r fullest letters), n = q k + r."""
    q, r = divmod(sum(counts.values()), k)
    ranked = sorted("ABCDEFG"[:k], key=lambda letter: (-counts[letter], letter))
    return sum(max(counts[letter] - (q + (i < r)), 0) for i, letter in enumerate(ranked))


def test_rebalancing_the_sample_moves_the_fewest_keys_and_keeps_every_text(published, imported, admin_user):
    rows, _ = published
    for task, k in OPTION_COUNT.items():
        counts = Counter(row["answer"] for row in rows if row["task"] == task)
        before = {i.pk: (sorted(i.options), i.options[ord(i.answer) - 65]) for i in QAItem.objects.filter(task=task)}
        done = options_rebalance(benchmark=imported, task=task, user=admin_user)
        assert len(done.moves) == _fewest_moves(counts, k) == {"CMAR": 9, "FMAR": 4}[task]
        after = Counter(QAItem.objects.filter(task=task).values_list("answer", flat=True))
        assert max(after.values()) - min(after.values()) <= 1
        now = {i.pk: (sorted(i.options), i.options[ord(i.answer) - 65]) for i in QAItem.objects.filter(task=task)}
        assert now == before
        edits = AuditEvent.objects.filter(event_type="edited", target_kind="qaitem", actor_user=admin_user)
        assert edits.filter(target_id__in=[m.item_id for m in done.moves]).count() == len(done.moves)
        assert options_rebalance(benchmark=imported, task=task, user=admin_user).moves == []
