"""Each lint check on a small fixture of its own, then the flag lifecycle in the database."""

from collections import Counter
from types import SimpleNamespace

import pytest

from annotation.domain import lint
from annotation.models import QualityFlag
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit
from annotation.services.flags import lint_run

FINE = ["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"]
COARSE = ["Body", "Head", "Upper limb", "Lower limb", "Body-hand", "Head-hand", "Leg-hand"]
_ids = iter(range(1, 10**6))


def item(task="SAD", question="Does the head move?", options=(), answer="Yes", qid=None, video_id=1):
    n = next(_ids)
    return SimpleNamespace(
        id=n,
        qid=qid or f"{task}_{n:04d}",
        task=task,
        question=question,
        options=list(options),
        answer=answer,
        video_id=video_id,
        version=1,
    )


def kinds(findings):
    return sorted(f.kind for f in findings)


def test_a_clean_item_has_no_findings():
    assert lint.item_findings(item("FMAR", "Which label?", FINE, "A")) == []
    assert lint.item_findings(item("CMAR", "Which category?", COARSE, "B")) == []


@pytest.mark.parametrize("option", ["Nodding - B1", "B1 Nodding", "Nodding (B1)"])
def test_an_option_carrying_a_label_code_is_a_leak(option):
    [finding] = lint.item_findings(item("FMAR", "Which label?", [option, *FINE[1:]], "A"))[-1:]
    assert finding.kind == "label_leak" and "code B1" in finding.message


def test_a_comprehension_question_naming_the_fine_key_leaks_it():
    fmar = item("FMAR", "Which label?", FINE, "C", video_id=7)  # key: Waving
    leaking = item("SAD", "In this waving action, does the right hand rise?", video_id=7)
    innocent = item("SAD", "Does the right hand rise?", video_id=7)
    findings = lint.clip_findings([fmar, leaking, innocent], None)
    assert [(f.kind, f.item.id) for f in findings] == [("label_leak", leaking.id)]


def test_duplicate_options_after_normalisation():
    [finding] = lint.item_findings(item("FMAR", "Which?", ["Nodding", "Waving", "waving", "Tiptoe", "Shrugging"], "A"))
    assert finding.kind == "duplicate_options" and finding.details["letters"] == ["B", "C"]


@pytest.mark.parametrize(
    ("task", "options", "expected"),
    [
        ("CMAR", COARSE[:6], "6 options, expected 7"),
        ("CMAR", [*COARSE[:6], "Torso"], "not MA-52 coarse labels: 'Torso'"),
        ("FMAR", [*FINE[:4], "Dancing"], "not MA-52 fine labels: 'Dancing'"),
        ("FMAR", FINE[:4], "4 options, expected 5"),
    ],
)
def test_options_that_do_not_fit_the_task(task, options, expected):
    findings = lint.item_findings(item(task, "Which?", options, "A"))
    assert kinds(findings) == ["options_misfit"] and expected in findings[0].message


@pytest.mark.parametrize(
    ("task", "options", "answer", "kind"),
    [
        ("SAD", [], "", "missing_answer_key"),
        ("FMAR", FINE, "", "missing_answer_key"),
        ("SAD", [], "yes", "invalid_answer_key"),
        ("FMAR", FINE, "F", "invalid_answer_key"),
        ("MADU", [], "Yes", "invalid_answer_key"),
    ],
)
def test_missing_or_invalid_keys(task, options, answer, kind):
    assert kinds(lint.item_findings(item(task, "Which?", options, answer))) == [kind]


def mare(answer, video_id=1):
    return item("MARE", f"Reason about the labels of clip {next(_ids)}.", answer=answer, video_id=video_id)


def test_mare_answers_must_end_in_the_label_line():
    good = "The head bobs; therefore [Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Nodding."
    assert lint.item_findings(mare(good)) == []
    assert lint.item_findings(mare(f"**{good[:-1]}**.")) == []
    assert kinds(lint.item_findings(mare("The head bobs, so it is nodding."))) == ["mare_format"]
    inexact = "So [Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Nodding** as the main action."
    assert kinds(lint.item_findings(mare(inexact))) == ["mare_format"]


def test_mare_labels_must_agree_with_the_clips_keys():
    cmar, fmar = item("CMAR", "Which coarse?", COARSE, "B"), item("FMAR", "Which fine?", FINE, "A")  # Head, Nodding
    wrong = mare("So [Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Waving.")
    right = mare("So [Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Nodding.")
    findings = lint.clip_findings([cmar, fmar, wrong, right], None)
    assert [(f.kind, f.item.id) for f in findings] == [("mare_label_mismatch", wrong.id)]
    assert "FMAR key is 'Nodding', answer says 'waving'" in findings[0].message


def test_near_duplicate_questions_within_a_clip_but_not_reversed_order():
    a = item("MAS", "Did the head begin moving before the torso started to sway?", qid="MAS_0001")
    reversed_order = item("MAS", "Did the torso begin moving before the head started to sway?", qid="MAS_0002")
    same = item("MAS", "Does the head begin to move before the torso starts swaying in this video?", qid="MAS_0003")
    findings = lint.clip_findings([a, reversed_order, same], None)
    assert [(f.kind, f.item.qid) for f in findings] == [("near_duplicate_question", "MAS_0003")]


def test_yes_no_balance_is_a_benchmark_level_finding_per_task():
    findings = lint.yes_no_balance_findings(
        {"SAD": Counter(Yes=12, No=8), "MAD": Counter(Yes=10, No=10), "PPR": Counter(Yes=5)}
    )
    assert [(f.kind, f.task, f.target_key) for f in findings] == [("yes_no_balance", "SAD", "task:SAD")]
    assert "60.0% of 20 keys are Yes" in findings[0].message


def test_open_answer_length_outliers():
    typical = [(item("MADU"), 400 + n % 7 * 10) for n in range(30)]
    long_one, short_one = (item("MADU"), 2000), (item("MADU"), 12)
    findings = lint.answer_length_findings({"MADU": [*typical, long_one, short_one]})
    assert sorted(f.item.id for f in findings) == sorted([long_one[0].id, short_one[0].id])
    assert "2000 characters; MADU answers have a median of 430" in findings[0].message


# --- the flag lifecycle -------------------------------------------------------------


def test_flags_are_raised_once_resolved_when_fixed_and_a_waiver_holds(make_item, annotator):
    bad = make_item("FMAR_0001", task="FMAR", options=["Nodding", "Waving", "Waving", "Tiptoe", "Shrugging"])
    benchmark = bad.benchmark
    assert lint_run(benchmark=benchmark) == {"duplicate_options": 1}
    assert lint_run(benchmark=benchmark) == {}  # no second flag for the same fault
    flag = QualityFlag.objects.get(kind="duplicate_options")
    assert (flag.item, flag.target_version, flag.status) == (bad, 1, "open")

    # Lint runs after every edit: fixing the options resolves the flag.
    item_edit(
        item_id=bad.pk,
        actor=Actor.person(annotator),
        expected_version=1,
        changes={"options": ["Nodding", "Waving", "Shaking head", "Tiptoe", "Shrugging"]},
    )
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.closed_at is not None


def test_a_waived_flag_is_not_raised_again_for_the_same_version(make_item):
    bad = make_item("SAD_0001", answer="")
    lint_run(benchmark=bad.benchmark)
    QualityFlag.objects.filter(kind="missing_answer_key").update(status="waived", waived_reason="key comes later")
    assert lint_run(benchmark=bad.benchmark) == {}
    assert QualityFlag.objects.filter(kind="missing_answer_key").count() == 1
