"""Each lint check on a small fixture of its own, then the flag lifecycle in the database."""

from collections import Counter
from types import SimpleNamespace

import pytest

from annotation.domain import lint
from annotation.models import AuditEvent, QAItem, QualityFlag
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit, review_status_set, video_register
from annotation.services.flags import FlagNotWaivable, flag_waive, lint_run
from annotation.services.releases import ReleaseBlocked, release_create

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


def test_a_reference_answer_naming_the_label_leaks_it_where_the_task_does_not_ask_for_it():
    fmar = item("FMAR", "Which label?", FINE, "A", video_id=8)  # key: Nodding
    madu = item(
        "MADU", "Describe the movements.", answer="The head dips twice: nodding (label Nodding, code B1).", video_id=8
    )
    mare = item(
        "MARE",
        "Reason.",
        answer="It dips. [Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Nodding",
        video_id=8,
    )
    [finding] = lint.clip_findings([fmar, madu, mare], None)  # MARE asks for the labels: its label line is fine
    assert (finding.kind, finding.item, finding.details["field"]) == ("label_leak", madu, "reference answer")
    assert finding.message == (
        "The reference answer names the micro-action label 'Nodding' ('The head dips twice: nodding (label Nodding, "
        "code B1).') and carries the label code B1 ('...ips twice: nodding (label Nodding, code B1).'); MADU does not "
        "ask for the label."
    )


def test_without_an_fmar_item_the_label_checked_is_the_captions():
    caption = SimpleNamespace(id=3, video_id=9, coarse_label="B", fine_label="B5", version=1)
    madu = item("MADU", "Describe the movements.", answer="The head is bowing head low, then rises.", video_id=9)
    sad = item("SAD", "Does the head move like B5 in the early phase?", video_id=9)
    findings = lint.clip_findings([madu, sad], caption)
    assert [(f.kind, f.item) for f in findings] == [("label_leak", madu), ("label_leak", sad)]
    assert "label 'Bowing head'" in findings[0].message and "carries the label code B5" in findings[1].message
    assert (
        lint.clip_findings([item("MADU", "Describe.", answer="The head lowers, then rises.", video_id=9)], caption)
        == []
    )


# Only "Hands touching fingers" can be template-generator 1.0's key here: it alone has a single
# confusable label (Rubbing hands) among the options, the other 3 being labels of its own body part.
GIVEAWAY = ["Hands touching fingers", "Stretching arms", "Scratching arms", "Rubbing hands", "Spreading hands"]
WINDOW = ["Closing legs", "Spread legs", "Curling legs", "Crossing legs", "Shaking legs"]  # 2.0: 5 in a row


def test_options_that_leave_one_possible_key_under_the_generator_give_it_away():
    [finding] = lint.item_findings(item("FMAR", "Which label?", GIVEAWAY, "A"))
    assert finding.kind == "options_give_key" and finding.severity == "error"
    assert finding.details == {"letter": "A", "generators": ["template-generator 1.0"]}
    assert "Only option A ('Hands touching fingers') can be the key" in finding.message
    assert lint.item_findings(item("FMAR", "Which label?", GIVEAWAY, "B")) == []  # a solver would answer A: wrong
    for letter in "ABCDE":  # 2.0 writes this set for each of its labels as the key alike
        assert lint.item_findings(item("FMAR", "Which label?", WINDOW, letter)) == []


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


def test_lint_raises_the_options_give_key_flag_on_an_imported_item(make_item):
    giveaway = make_item("FMAR_0001", task="FMAR", options=GIVEAWAY)
    assert lint_run(benchmark=giveaway.benchmark) == {"options_give_key": 1}
    flag = QualityFlag.objects.get(kind="options_give_key")
    assert (flag.item, flag.severity, flag.get_kind_display()) == (
        giveaway,
        "error",
        "Options leave one possible key under the generator",
    )


def test_a_waived_flag_is_not_raised_again_for_the_same_version(make_item):
    bad = make_item("SAD_0001", answer="")
    lint_run(benchmark=bad.benchmark)
    QualityFlag.objects.filter(kind="missing_answer_key").update(status="waived", waived_reason="key comes later")
    assert lint_run(benchmark=bad.benchmark) == {}
    assert QualityFlag.objects.filter(kind="missing_answer_key").count() == 1


# --- options that denote one label ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "denotes"),
    [
        ("Shaking head - B2", "shaking head"),
        ("B2 Shaking head", "shaking head"),
        ("(B2) shaking-head", "shaking head"),
        ("B2", "shaking head"),
        ("Head - B", "head"),
        ("B. Head", "head"),
        ("Body-hand", "body hand"),
        ("Leg-hand (G)", "leg hand"),
        ("Scratching or touching face", "scratching or touching face"),
    ],
)
def test_an_option_denotes_its_label_without_codes_case_or_punctuation(option, denotes):
    assert lint.option_denotes(option) == denotes


def test_the_keys_label_named_again_with_its_code_is_an_ambiguous_key():
    options = ["Shaking head", "Nodding", "Shaking head - B2", "Waving", "Tiptoe"]
    findings = {f.kind: f for f in lint.item_findings(item("FMAR", "Which label?", options, "A"))}
    assert sorted(findings) == ["ambiguous_key", "label_leak", "options_misfit"]
    ambiguous = findings["ambiguous_key"]
    assert ambiguous.severity == "error"
    assert ambiguous.details == {"letters": ["A", "C"], "label": "shaking head", "key": "A"}
    assert "two right answers" in ambiguous.message and "Not waivable" in ambiguous.message


def test_the_keys_option_repeated_exactly_is_an_ambiguous_key_and_not_a_duplicate():
    options = ["Nodding", "Waving", "Tiptoe", "waving", "Shrugging"]
    assert kinds(lint.item_findings(item("FMAR", "Which?", options, "B"))) == ["ambiguous_key"]
    coarse = ["Body", "Head", "Upper limb", "Head - B", "Body-hand", "Head-hand", "Leg-hand"]
    assert "ambiguous_key" in kinds(lint.item_findings(item("CMAR", "Which?", coarse, "D")))


def test_a_distractor_named_twice_is_a_duplicate_option_not_an_ambiguous_key():
    options = ["Nodding", "Waving - C5", "Waving", "Tiptoe", "Shrugging"]
    findings = {f.kind: f for f in lint.item_findings(item("FMAR", "Which?", options, "A"))}
    assert "ambiguous_key" not in findings
    assert findings["duplicate_options"].details["letters"] == ["B", "C"]
    assert "denote the same label" in findings["duplicate_options"].message
    both = ["Nodding", "Waving", "Nodding", "Waving", "Tiptoe"]
    assert kinds(lint.item_findings(item("FMAR", "Which?", both, "A"))) == ["ambiguous_key", "duplicate_options"]


def test_without_a_valid_key_repeated_options_are_duplicates():
    options = ["Nodding", "Waving", "Waving", "Tiptoe", "Shrugging"]
    assert kinds(lint.item_findings(item("FMAR", "Which?", options, ""))) == ["duplicate_options", "missing_answer_key"]


# --- key-letter balance -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statistic", "df", "p"),
    [(3.841, 1, 0.05), (5.991, 2, 0.05), (7.815, 3, 0.05), (18.467, 4, 0.001), (22.458, 6, 0.001), (0.0, 4, 1.0)],
)
def test_the_chi_square_tail_matches_the_tables(statistic, df, p):
    assert lint.chi_square_sf(statistic, df) == pytest.approx(p, rel=1e-3)


def test_key_letters_far_from_uniform_are_a_benchmark_level_finding_per_task():
    findings = lint.key_letter_balance_findings(
        {
            "FMAR": Counter(A=40, B=15, C=15, D=15, E=15),  # chi-square 31.25, p < 0.0001
            "CMAR": Counter(A=20, B=15, C=15, D=15, E=15, F=10, G=10),  # chi-square 6.0: chance
        }
    )
    [finding] = findings
    assert (finding.kind, finding.task, finding.target_key, finding.severity) == (
        "option_position_balance",
        "FMAR",
        "task:FMAR",
        "warning",
    )
    assert finding.details["counts"] == {"A": 40, "B": 15, "C": 15, "D": 15, "E": 15}
    assert finding.details["letter"] == "A" and finding.details["p_value"] < 0.001
    assert "keys A-E are 40/15/15/15/15 of 100; A has 40.0% (expected 20.0% each" in finding.message


def test_key_letter_balance_needs_five_items_a_letter_and_a_deviation_that_matters():
    assert lint.key_letter_balance_findings({"FMAR": Counter(A=24)}) == []  # 24 < 5 x 5 items
    assert lint.key_letter_balance_findings({"FMAR": Counter(A=25)}) != []
    # significant (chi-square 125) yet every share within 10% of 1/5: not worth a flag
    huge = Counter(A=21_000, B=19_750, C=19_750, D=19_750, E=19_750)
    assert lint.chi_square_sf(125.0, 4) < 1e-20
    assert lint.key_letter_balance_findings({"FMAR": huge}) == []


# --- ambiguous keys and letter balance in the database -----------------------------------------------------


def test_lint_raises_the_balance_flag_and_resolves_it_when_the_letters_even_out(benchmark, make_item, generator):
    clips = [video_register(benchmark=benchmark, clip_name=f"many_{n:03d}", actor=generator) for n in range(25)]
    items = [make_item(f"FMAR_{n:04d}", task="FMAR", video=clip) for n, clip in enumerate(clips)]
    benchmark = items[0].benchmark
    assert lint_run(benchmark=benchmark) == {"option_position_balance": 1}
    flag = QualityFlag.objects.get(kind="option_position_balance")
    assert (flag.target_key, flag.item, flag.details["counts"]["A"]) == ("task:FMAR", None, 25)
    QAItem.objects.filter(pk__in=[i.pk for i in items[5:]]).update(answer="B")  # 5 A, 20 B: still far off
    lint_run(benchmark=benchmark, video_ids=[items[0].video_id])  # the benchmark-wide checks run on any clip
    flag.refresh_from_db()
    assert flag.status == "open" and flag.details["counts"] == {"A": 5, "B": 20, "C": 0, "D": 0, "E": 0}
    for n, letter in enumerate("ABCDE" * 5):
        QAItem.objects.filter(pk=items[n].pk).update(answer=letter)
    lint_run(benchmark=benchmark)
    flag.refresh_from_db()
    assert flag.status == "resolved"


def test_an_ambiguous_key_flag_cannot_be_waived_and_the_refusal_is_recorded(make_item, reviewer):
    bad = make_item("FMAR_0001", task="FMAR", options=["Nodding", "Waving", "Nodding - B1", "Tiptoe", "Shrugging"])
    lint_run(benchmark=bad.benchmark)
    flag = QualityFlag.objects.get(kind="ambiguous_key")
    assert not flag.waivable and QualityFlag.objects.get(kind="label_leak").waivable
    with pytest.raises(FlagNotWaivable, match="cannot be waived"):
        flag_waive(flag=flag, user=reviewer, reason="looks fine to me")
    flag.refresh_from_db()
    assert (flag.status, flag.waived_reason) == ("open", "")
    event = AuditEvent.objects.get(target_kind="qualityflag", target_id=flag.pk)
    assert (event.event_type, event.actor_user, event.after["status"]) == ("refused", reviewer, "waived")
    assert "cannot be waived" in event.reason


def test_an_accepted_item_with_an_ambiguous_key_blocks_the_release_until_its_options_are_fixed(
    make_item, reviewer, admin_user
):
    bad = make_item("FMAR_0001", task="FMAR", options=["Nodding", "Waving", "nodding", "Tiptoe", "Shrugging"])
    lint_run(benchmark=bad.benchmark)
    for status in ("in_review", "accepted"):
        bad = review_status_set(
            model=QAItem, pk=bad.pk, status=status, actor=Actor.person(admin_user), expected_version=None
        )
    with pytest.raises(ReleaseBlocked) as blocked:
        release_create(benchmark=bad.benchmark, tag="v1", user=admin_user)
    assert any(b.startswith("FMAR_0001: open flag ambiguous_key") for b in blocked.value.blockers)
    item_edit(
        item_id=bad.pk,
        actor=Actor.person(reviewer),
        expected_version=bad.version,
        changes={"options": ["Nodding", "Waving", "Shaking head", "Tiptoe", "Shrugging"]},
        reason="one label once",
    )
    assert QualityFlag.objects.get(kind="ambiguous_key").status == "resolved"
    assert release_create(benchmark=bad.benchmark, tag="v1", user=admin_user).item_count == 1
