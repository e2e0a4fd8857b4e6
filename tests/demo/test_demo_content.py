"""Demo captions and questions: published row shape, task mix, keys that match the render, three planted faults."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from annotation.domain.mac_format import item_fields_from_row, split_embedded_options
from annotation.domain.taxonomy import (
    CHOICE_LETTERS,
    COARSE_LABELS,
    FINE_BY_NAME,
    FINE_LABELS,
    QUESTIONS_PER_VIDEO,
    TASKS,
    AnswerFormat,
    Trend,
)
from demo.content import (
    PHASES,
    SCRIPTS,
    DemoClip,
    contradicted_claims,
    demo_caption,
    demo_clips,
    demo_questions,
    demo_questions_for_all,
)
from demo.figure_clips import SUPPORTED_ACTIONS, pose_at

CAPTION_KEYS = {
    "coarse_label",
    "fine_label",
    "dominant_part",
    "other_parts",
    "direction_path",
    "phase_early",
    "phase_middle",
    "phase_late",
    "trend",
    "contact",
    "description",
}
ROW_KEYS = {"video", "task", "qid", "question", "answer"}
MARE_LABELS = re.compile(r"\[Body part \(coarse-grained\)\] (.+?) \| \[Micro-action \(fine-grained\)\] (.+?)\.?$")
YES_NO_TASKS = [code for code, task in TASKS.items() if task.answer_format == AnswerFormat.YES_NO]


@pytest.fixture(scope="module")
def clips() -> list[DemoClip]:
    return demo_clips()


@pytest.fixture(scope="module")
def rows(clips) -> list[dict]:
    return demo_questions_for_all(clips)


def clip_by_video(clips: list[DemoClip]) -> dict[str, DemoClip]:
    return {f"{clip.clip_name}.mp4": clip for clip in clips}


def options_of(row: dict) -> list[str]:
    return split_embedded_options(row["question"])[1]


def keyed_option(row: dict) -> str:
    return options_of(row)[CHOICE_LETTERS.index(row["answer"])]


# --- clips and captions --------------------------------------------------------------


def test_twelve_clips_one_per_supported_action(clips):
    assert len(clips) == 12
    assert sorted(c.action for c in clips) == sorted(SUPPORTED_ACTIONS)
    assert len({c.clip_name for c in clips}) == 12
    assert all(re.fullmatch(r"demo_\d\d_[a-z_]+", c.clip_name) for c in clips)
    assert "demo_03_waving" in {c.clip_name for c in clips}


def test_caption_has_exactly_the_caption_fields_with_valid_labels(clips):
    for clip in clips:
        caption = demo_caption(clip)
        assert set(caption) == CAPTION_KEYS
        fine = FINE_LABELS[caption["fine_label"]]
        assert caption["fine_label"] == clip.action
        assert caption["coarse_label"] in COARSE_LABELS
        assert caption["coarse_label"] == fine.coarse
        assert caption["trend"] in {t.value for t in Trend}
        assert isinstance(caption["other_parts"], list) and all(isinstance(p, str) for p in caption["other_parts"])
        assert all(caption[f"phase_{p}"] for p in PHASES) and caption["contact"]
        assert 1 <= len(re.split(r"(?<=\.)\s+", caption["description"].strip())) <= 2


def test_captions_describe_what_is_rendered(clips):
    by_action = {c.action: demo_caption(c) for c in clips}
    assert by_action["B1"]["dominant_part"] == "head" and by_action["B1"]["trend"] == "repetitive"
    assert by_action["B5"]["trend"] == "single"
    assert by_action["C5"]["dominant_part"] == "right hand"
    assert by_action["D3"]["dominant_part"] == "right leg"
    assert "nose" in by_action["F1"]["contact"] and "knee" in by_action["G2"]["contact"]
    assert by_action["B2"]["contact"] == "none"


# --- rows: shape, mix, qids ------------------------------------------------------------


def test_144_rows_in_the_published_shape(clips, rows):
    assert len(rows) == len(clips) * QUESTIONS_PER_VIDEO == 144
    videos = clip_by_video(clips)
    for row in rows:
        assert set(row) - {"demo_fault"} == ROW_KEYS
        assert row["video"] in videos
        assert re.fullmatch(rf"{row['task']}_\d{{4}}", row["qid"])
        fields = item_fields_from_row(row)  # the project's own parser of published rows
        assert len(fields["options"]) == TASKS[row["task"]].option_count


def test_task_mix_per_clip_is_exact(clips, rows):
    expected = {code: task.per_video for code, task in TASKS.items()}
    for clip in clips:
        mix = Counter(r["task"] for r in rows if r["video"] == f"{clip.clip_name}.mp4")
        assert mix == expected


def test_qids_are_unique(rows):
    assert len({r["qid"] for r in rows}) == len(rows)


def test_qid_start_is_advanced_in_place():
    counters = {"SAD": 7}
    clip = demo_clips(1)[0]

    first = demo_questions(clip, qid_start=counters)
    second = demo_questions(clip, qid_start=counters)

    assert [r["qid"] for r in first if r["task"] == "SAD"] == ["SAD_0007", "SAD_0008"]
    assert [r["qid"] for r in second if r["task"] == "SAD"] == ["SAD_0009", "SAD_0010"]
    assert counters["SAD"] == 11 and counters["CMAR"] == 3 and counters["PPR"] == 5


def test_everything_is_deterministic():
    assert demo_clips() == demo_clips()
    assert demo_questions_for_all(demo_clips()) == demo_questions_for_all(demo_clips())
    assert [demo_caption(c) for c in demo_clips()] == [demo_caption(c) for c in demo_clips()]


# --- choice questions --------------------------------------------------------------


def test_every_cmar_lists_the_seven_coarse_names(rows):
    names = {c.name for c in COARSE_LABELS.values()}
    cmar = [r for r in rows if r["task"] == "CMAR"]
    assert len(cmar) == 12
    for row in cmar:
        options = options_of(row)
        assert len(options) == len(set(options)) == 7 and set(options) == names
        assert row["answer"] in CHOICE_LETTERS[:7]
    assert len({tuple(options_of(r)) for r in cmar}) > 1, "options are not shuffled"


def test_choice_keys_point_at_the_rendered_label_except_the_wrong_key_fault(clips, rows):
    videos = clip_by_video(clips)
    for row in (r for r in rows if r["task"] in ("CMAR", "FMAR")):
        fine = FINE_LABELS[videos[row["video"]].action]
        truth = COARSE_LABELS[fine.coarse].name if row["task"] == "CMAR" else fine.name
        assert row["answer"] in CHOICE_LETTERS[: TASKS[row["task"]].option_count]
        if row.get("demo_fault", "").startswith("wrong answer key"):
            assert keyed_option(row) != truth and truth in options_of(row)
        elif row.get("demo_fault", "").startswith("label code leaked"):
            assert keyed_option(row) == f"{fine.code} {fine.name}"
        else:
            assert keyed_option(row) == truth


def test_fmar_has_five_ma52_options_mostly_from_the_same_coarse_category(clips, rows):
    videos = clip_by_video(clips)
    for row in (r for r in rows if r["task"] == "FMAR" and "demo_fault" not in r):
        options = options_of(row)
        coarse = FINE_LABELS[videos[row["video"]].action].coarse
        assert len(options) == len(set(options)) == 5
        assert all(o.lower() in FINE_BY_NAME for o in options)
        assert sum(FINE_BY_NAME[o.lower()].coarse == coarse for o in options) >= 3


# --- the planted faults -------------------------------------------------------------


def test_exactly_three_faults_one_of_each_kind_on_different_clips(rows):
    faulty = [r for r in rows if "demo_fault" in r]
    assert len(faulty) == 3
    assert len({r["video"] for r in faulty}) == 3
    kinds = ("wrong answer key", "label code leaked", "two identical options")
    assert sorted(kind for r in faulty for kind in kinds if r["demo_fault"].startswith(kind)) == sorted(kinds)
    leaked = next(r for r in faulty if "leaked" in r["demo_fault"])
    assert re.search(r"\n[A-E]\. [A-G]\d{1,2} \w", leaked["question"])
    duplicated = next(r for r in faulty if "identical" in r["demo_fault"])
    assert len(set(options_of(duplicated))) == len(options_of(duplicated)) - 1
    wrong = next(r for r in faulty if "wrong answer key" in r["demo_fault"])
    assert wrong["answer"] in CHOICE_LETTERS[: len(options_of(wrong))]


def test_rows_without_a_fault_have_no_leaks_or_duplicates(rows):
    for row in (r for r in rows if "demo_fault" not in r):
        assert not re.search(r"\b[A-G]\d{1,2}\b", row["question"]), row["question"]
        if row["task"] in ("CMAR", "FMAR"):
            assert len(set(options_of(row))) == len(options_of(row))


def test_fewer_clips_get_fewer_faults_on_distinct_clips():
    rows = demo_questions_for_all(demo_clips(2))
    faulty = [r for r in rows if "demo_fault" in r]
    assert len(faulty) == 2 and len({r["video"] for r in faulty}) == 2
    assert demo_questions_for_all([]) == []


# --- yes/no and open questions -------------------------------------------------------


def test_yes_no_answers_are_balanced(rows):
    answers = [r["answer"] for r in rows if r["task"] in YES_NO_TASKS]
    assert len(answers) == 96 and set(answers) == {"Yes", "No"}
    assert 0.35 <= answers.count("Yes") / len(answers) <= 0.65
    for task in YES_NO_TASKS:
        task_answers = [r["answer"] for r in rows if r["task"] == task]
        assert 0.35 <= task_answers.count("Yes") / len(task_answers) <= 0.65
    assert Counter(r["answer"] for r in rows[2::12]) != Counter({"Yes": 12}), "Yes is not always first"


def test_yes_no_questions_name_parts_and_phases_not_labels(rows):
    for row in (r for r in rows if r["task"] in YES_NO_TASKS):
        assert row["question"].endswith("?")
        assert not any(f.name.lower() in row["question"].lower() for f in FINE_LABELS.values() if len(f.name) > 8)
    sad_and_ppr = [r["question"] for r in rows if r["task"] in ("SAD", "PPR")]
    assert all(any(phase in q for phase in PHASES) for q in sad_and_ppr)


def test_open_answers_name_the_rendered_labels(clips, rows):
    videos = clip_by_video(clips)
    for row in (r for r in rows if r["task"] == "MARE"):
        fine = FINE_LABELS[videos[row["video"]].action]
        match = MARE_LABELS.search(row["answer"])
        assert match, row["answer"][-120:]
        assert match.groups() == (COARSE_LABELS[fine.coarse].name, fine.name)
    for row in (r for r in rows if r["task"] == "MADU"):
        assert demo_caption(videos[row["video"]])["description"] in row["answer"]


# --- the facts behind the questions agree with the renderer ------------------------------

JOINT_OF = {
    "head": "head",
    "torso": "neck",
    "right hand": "r_hand",
    "left hand": "l_hand",
    "right shoulder": "r_shoulder",
    "left shoulder": "l_shoulder",
    "right knee": "r_knee",
    "right lower leg": "r_foot",
    "left lower leg": "l_foot",
    "right foot": "r_foot",
    "left foot": "l_foot",
}
DIRECTION = {"move upward": (0, -1), "move downward": (0, 1), "move rightward": (-1, 0), "move leftward": (1, 0)}
SAMPLES = np.linspace(0, 1, 601)


def phase_poses(action: str, phase: str) -> list:
    k = PHASES.index(phase)
    return [pose_at(action, t) for t in SAMPLES if k / 3 <= t <= (k + 1) / 3]


def amount(action: str, part: str, verb: str, phase: str) -> float:
    """How much of ``verb`` the part performs in the phase (reference pixels, summed over samples)."""
    return amount_of(phase_poses(action, phase), part, verb)


def amount_of(poses: list, part: str, verb: str) -> float:
    if verb in DIRECTION:
        track = np.array([p.joints[JOINT_OF[part]] for p in poses])
        step = np.diff(track, axis=0) @ np.array(DIRECTION[verb])
    elif "tilt" in verb:
        step = np.diff([20 * p.head_tilt for p in poses]) * (1 if verb.endswith("right shoulder") else -1)
        if verb.endswith("left shoulder"):
            step = step * (np.array([p.head_tilt for p in poses[1:]]) < 0)
    else:
        step = np.diff([p.right_hand_radius for p in poses]) * (-1 if verb.startswith("close") else 1)
    return float(np.clip(step, 0, None).sum())


@pytest.mark.parametrize("action", SUPPORTED_ACTIONS)
def test_every_scripted_step_is_drawn_in_its_phases(action):
    for step in SCRIPTS[action].steps:
        for phase in step.phases:
            assert amount(action, step.part, step.verb, phase) > 1.5, (step, phase)


@pytest.mark.parametrize("action", SUPPORTED_ACTIONS)
def test_claims_answered_no_are_not_drawn(action):
    for part, verb, phase in contradicted_claims(SCRIPTS[action]):
        assert amount(action, part, verb, phase) < 0.5, (part, verb, phase)


@pytest.mark.parametrize("action", SUPPORTED_ACTIONS)
def test_still_parts_do_not_move(action):
    for part in SCRIPTS[action].still_parts():
        track = np.array([pose_at(action, t).joints[JOINT_OF[part]] for t in SAMPLES])
        assert np.ptp(track, axis=0).max() < 0.01, part


def point_of(pose, part: str) -> np.ndarray:
    if part == "torso":  # its centre: the head swinging sideways keeps its distance to the torso
        return (np.array(pose.joints["neck"]) + pose.joints["pelvis"]) / 2
    return np.array(pose.joints[JOINT_OF[part]])


def distances(action: str, a: str, b: str, phase: str) -> np.ndarray:
    poses = phase_poses(action, phase)
    return np.array([np.linalg.norm(point_of(p, a.lower()) - point_of(p, b.lower())) for p in poses])


def relation_happens(gaps: np.ndarray, relation: str) -> bool:
    change = np.diff(gaps)
    if relation == "noticeably approach":
        return -change.clip(None, 0).sum() > 0.15 * gaps[0]
    if relation == "noticeably move apart from":
        return change.clip(0, None).sum() > 0.15 * gaps[0]
    turns = np.count_nonzero(np.diff(np.sign(change[np.abs(change) > 1e-6])))
    if relation.startswith("repeatedly"):
        return turns >= 2 and np.ptp(gaps) > 0.1 * gaps.mean()
    if relation == "approach and then move away from":
        return change[0] < 0 and turns >= 1 and np.ptp(gaps) > 0.1 * gaps.mean()
    if relation.startswith("stay at roughly the same distance"):
        return np.ptp(gaps) < 0.15 * gaps.mean()
    raise AssertionError(f"no check for relation {relation!r}")


@pytest.mark.parametrize("action", SUPPORTED_ACTIONS)
def test_proximity_facts_match_the_render(action):
    for fact in SCRIPTS[action].proximity:
        gaps = distances(action, fact.part_a, fact.part_b, fact.phase)
        assert relation_happens(gaps, fact.relation) == fact.holds, fact


def first_motion_time(action: str, part: str, verb: str) -> float:
    """When the part has done the first 5 % (at most 0.3 px) of all its ``verb`` motion."""
    threshold = min(0.3, 0.05 * sum(amount(action, part, verb, phase) for phase in PHASES))
    for phase in PHASES:
        poses = phase_poses(action, phase)
        times = [t for t in SAMPLES if PHASES.index(phase) / 3 <= t <= (PHASES.index(phase) + 1) / 3]
        for i in range(2, len(poses) + 1):
            if amount_of(poses[:i], part, verb) > threshold:
                return times[i - 1]
    raise AssertionError(f"{part} never performs {verb!r} in {action}")


@pytest.mark.parametrize("action", SUPPORTED_ACTIONS)
def test_step_onsets_behind_sequence_questions_match_the_render(action):
    for step in SCRIPTS[action].steps:
        assert abs(first_motion_time(action, step.part, step.verb) - step.onset) < 0.04, step
