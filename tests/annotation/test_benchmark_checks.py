"""The benchmark-wide lint checks kept incrementally: the answer tally the triggers append, the flags an
edit leaves against a full recomputation, and the release cut that recomputes them whatever happened."""

import random
import statistics
from collections import Counter

import pytest
from django.db.models import Count
from django.db.models.functions import Length

from annotation.domain import lint
from annotation.models import AnswerTally, QAItem, QualityFlag
from annotation.services import benchmark_checks
from annotation.services.audited_writes import Actor, create_audited_many
from annotation.services.bulk_insert import insert_many
from annotation.services.content import caption_edit, item_edit, video_register
from annotation.services.flags import benchmark_flags_verify, lint_run
from annotation.services.releases import ReleaseBlocked, release_create

ACTOR = Actor.machine("test edits")
FINE = ["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"]


@pytest.mark.parametrize("seed", range(40))
def test_the_band_of_a_histogram_is_the_band_of_the_list(seed):
    rng = random.Random(seed)
    lengths = [rng.choice([rng.randint(1, 400), rng.randint(90, 110)]) for _ in range(rng.randint(20, 90))]
    band = lint.length_band_of_counts(Counter(lengths))
    median = statistics.median(lengths)
    spread = lint.LENGTH_MAD_FACTOR * 1.4826 * max(statistics.median(abs(n - median) for n in lengths), 1)
    assert (band.median, band.spread) == (median, spread)
    assert type(band.median) is type(median)  # the flag's details keep the same number
    assert lint.length_band_of_counts(Counter(lengths[:19])) is None


def _answer(rng, task):
    if task in ("SAD", "MAD"):
        return rng.choice(["Yes", "No"])
    if task == "FMAR":
        return rng.choice("ABCDE")
    return "The head moves " + "slowly " * rng.choice([1, 9, 10, 10, 11, 11, 12, 30])


@pytest.fixture
def mixed_benchmark(benchmark):
    """8 clips of 3 SAD, 1 MAD, 1 FMAR and 3 MADU items each, keys and lengths at random."""
    rng = random.Random(7)
    clips = [video_register(benchmark=benchmark, clip_name=f"clip_{n:02d}", actor=ACTOR) for n in range(8)]
    rows = []
    for clip in clips:
        for n, task in enumerate(["SAD", "SAD", "SAD", "MAD", "FMAR", "MADU", "MADU", "MADU"]):
            rows.append(
                {
                    "benchmark": benchmark,
                    "video": clip,
                    "qid": f"{task}_{clip.clip_name}_{n}",
                    "task": task,
                    "question": f"Question {n} of {clip.clip_name}: does the part move?",
                    "options": FINE if task == "FMAR" else [],
                    "answer": _answer(rng, task),
                }
            )
    create_audited_many(model=QAItem, actor=ACTOR, rows=rows)
    lint_run(benchmark=benchmark)
    return benchmark


def _open_lint_flags(benchmark):
    rows = QualityFlag.objects.filter(benchmark=benchmark, source="lint", status="open")
    return sorted(rows.values_list("target_key", "kind", "message", "details", "target_version"), key=repr)


def _tally_from_items(benchmark):
    rows = QAItem.objects.filter(benchmark=benchmark).annotate(n=Length("answer")).values_list("task", "answer", "n")
    counted = Counter()
    for task, answer, n in rows:
        counted[(task, answer if n <= 3 else "", n)] += 1
    return counted


def _tally_held(benchmark):
    rows = AnswerTally.objects.filter(benchmark=benchmark).values_list("task", "answer_key", "answer_length", "items")
    held = Counter()
    for task, key, n, items in rows:
        held[(task, key, n)] += items
    return +held


def test_flags_after_random_edits_are_the_flags_a_full_lint_finds(mixed_benchmark):
    benchmark, rng = mixed_benchmark, random.Random(11)
    items = list(QAItem.objects.filter(benchmark=benchmark))
    kinds_seen = set()
    for step in range(60):
        item = QAItem.objects.get(pk=rng.choice(items).pk)
        changes = {"answer": _answer(rng, item.task)}
        if item.task in ("SAD", "MAD") and rng.random() < 0.3:
            changes["task"] = "MAD" if item.task == "SAD" else "SAD"
        item_edit(item_id=item.pk, actor=ACTOR, expected_version=item.version, changes=changes)
        if step % 6 == 5:
            incremental = _open_lint_flags(benchmark)
            kinds_seen |= {kind for _, kind, *_ in incremental}
            assert _tally_held(benchmark) == _tally_from_items(benchmark)
            lint_run(benchmark=benchmark)  # the full recomputation, from the items themselves
            assert _open_lint_flags(benchmark) == incremental, f"after {step + 1} edits"
    assert {"answer_length_outlier", "yes_no_balance"} <= kinds_seen  # the walk met the checks it tests


def test_an_edit_that_moves_the_band_resyncs_the_task_it_moves(mixed_benchmark):
    benchmark = mixed_benchmark
    madu = list(QAItem.objects.filter(benchmark=benchmark, task="MADU").order_by("pk"))
    long_answer = "The head moves " + "slowly " * 30
    for item in madu[:12]:  # the median climbs: answers typical before become outliers in clips not edited
        item_edit(item_id=item.pk, actor=ACTOR, expected_version=item.version, changes={"answer": long_answer})
    incremental = _open_lint_flags(benchmark)
    lint_run(benchmark=benchmark)
    assert _open_lint_flags(benchmark) == incremental
    edited_clips = {item.video_id for item in madu[:12]}
    flagged = QAItem.objects.filter(flags__kind="answer_length_outlier", flags__status="open")
    assert flagged.exclude(video_id__in=edited_clips).exists()


def test_a_caption_edit_leaves_the_benchmark_wide_flags_as_they_are(mixed_benchmark, make_caption):
    before = _open_lint_flags(mixed_benchmark)
    caption = make_caption()
    caption_edit(caption_id=caption.pk, actor=ACTOR, expected_version=caption.version, changes={"description": "x"})
    wide = {"yes_no_balance", "option_position_balance", "answer_length_outlier"}
    after = _open_lint_flags(mixed_benchmark)
    assert [f for f in after if f[1] in wide] == [f for f in before if f[1] in wide]


def test_the_tally_follows_copy_bulk_updates_and_deletes(benchmark, video):
    rows = [
        QAItem(benchmark=benchmark, video=video, qid=f"SAD_{n:03d}", task="SAD", question="q", answer=answer)
        for n, answer in enumerate(["Yes", "No", "Yes", "", "Maybe so"] * 8)
    ]
    insert_many(QAItem, rows)  # COPY on PostgreSQL
    assert _tally_held(benchmark) == _tally_from_items(benchmark)
    QAItem.objects.filter(benchmark=benchmark, answer="Yes").update(answer="No")
    QAItem.objects.filter(benchmark=benchmark, answer="").update(task="MADU", answer="A longer answer " * 3)
    QAItem.objects.filter(benchmark=benchmark, answer="Maybe so").delete()
    assert _tally_held(benchmark) == _tally_from_items(benchmark)
    for task in ("SAD", "MADU"):
        benchmark_checks.tally_fold(benchmark.pk, task)
    assert _tally_held(benchmark) == _tally_from_items(benchmark)
    folded = AnswerTally.objects.filter(benchmark=benchmark).values("task", "answer_key", "answer_length")
    assert not folded.annotate(rows=Count("id")).filter(rows__gt=1).exists()


def test_the_release_cut_recomputes_flags_that_writes_without_lint_left_stale(mixed_benchmark, admin_user):
    benchmark = mixed_benchmark
    QualityFlag.objects.filter(benchmark=benchmark).update(status="resolved")  # a clean benchmark, as far as lint knew
    QAItem.objects.filter(benchmark=benchmark).update(review_status="accepted")
    # A write no lint follows (a raw update, a bulk path): every SAD key becomes Yes.
    QAItem.objects.filter(benchmark=benchmark, task="SAD").update(answer="Yes")
    assert not QualityFlag.objects.filter(benchmark=benchmark, status="open").exists()
    with pytest.raises(ReleaseBlocked) as blocked:
        release_create(benchmark=benchmark, tag="v1", user=admin_user)
    assert any("yes_no_balance" in message for message in blocked.value.blockers)
    flag = QualityFlag.objects.get(benchmark=benchmark, kind="yes_no_balance", target_key="task:SAD", status="open")
    assert flag.details["yes"] == 24 and flag.details["no"] == 0


def test_verifying_rebuilds_a_tally_that_writes_behind_the_triggers_left_wrong(mixed_benchmark, behind_the_triggers):
    benchmark = mixed_benchmark
    behind_the_triggers(
        "UPDATE annotation_qaitem SET answer = 'Yes' WHERE benchmark_id = %s AND task = 'SAD'", [benchmark.pk]
    )
    assert _tally_held(benchmark) != _tally_from_items(benchmark)
    benchmark_flags_verify(benchmark=benchmark)
    assert _tally_held(benchmark) == _tally_from_items(benchmark)
    flag = QualityFlag.objects.get(benchmark=benchmark, kind="yes_no_balance", target_key="task:SAD", status="open")
    assert (flag.details["yes"], flag.details["no"]) == (24, 0)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_edits_of_one_task_leave_the_flags_a_full_lint_finds(benchmark, at_once):
    clips = [video_register(benchmark=benchmark, clip_name=f"clip_{n}", actor=ACTOR) for n in range(6)]
    rows = [
        {"benchmark": benchmark, "video": clips[n % 6], "qid": f"SAD_{n:03d}", "task": "SAD", "question": "q?"}
        | {"answer": "Yes" if n % 2 else "No"}
        for n in range(40)
    ]
    create_audited_many(model=QAItem, actor=ACTOR, rows=rows)
    lint_run(benchmark=benchmark)
    noes = list(QAItem.objects.filter(benchmark=benchmark, answer="No").order_by("pk")[:6])

    def flip(item):
        return lambda: item_edit(item_id=item.pk, actor=ACTOR, expected_version=item.version, changes={"answer": "Yes"})

    results, failures = at_once([flip(item) for item in noes])
    assert failures == []
    incremental = _open_lint_flags(benchmark)
    assert any(kind == "yes_no_balance" for _, kind, *_ in incremental)  # 26 of 40 Yes: 65%
    lint_run(benchmark=benchmark)
    assert _open_lint_flags(benchmark) == incremental
