"""Flags from baseline predictions: what models reveal about items.

From the items as they are (rotation 0 of a circular run, which is what a plain run asks):

- blind_solvable: every blind (question-only) run answers right: the question leaks its
  answer. Raised for choice tasks from one blind run; for yes/no (50% by chance) only
  when at least two blind runs agree.
- all_models_wrong: at least two vision runs, all wrong: the key may be wrong.
- key_disputed: at least three runs, and more than half of them give the same other answer.

Vision runs are those with every frame in order (mac2026, uniform-K, imported); the probes
below (one frame, frames out of order) are left out of these three, since their mistakes are
expected and say nothing about the key.

From the probes (annotation/selectors/probes.py pairs a model's runs: same model, latest of each
condition):

- position_sensitive: a circular run of a model (not random, not prior: those move by design)
  chose different options as the options were rotated: its answer follows positions, not content.
- single_frame_solvable: a motion question (MOTION_TASKS) that every model's single-frame run
  answers right from the middle frame alone; for yes/no at least two such runs, as for blind_solvable.
- order_insensitive: a sequence question (SEQUENCE_TASKS) that the models answering it right with
  ordered frames answer the same with the same frames reversed: it does not test order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.db import transaction

from annotation.domain.lint import Finding
from annotation.domain.plurals import counted, for_count
from annotation.domain.taxonomy import CLOSED_TASKS, TASKS, AnswerFormat, Tier, tasks_in_tier
from annotation.frames.sampling import FrameOrder
from annotation.models import BaselineRun, Benchmark, Prediction, QAItem, QualityFlag
from annotation.selectors.probes import ModelRuns, paired_runs, sees_ordered_frames

from .flags import sync_flags

MODEL_SOURCE = "baseline models"
P = BaselineRun.Predictor
# The comprehension tier asks how parts move (direction, coordination, order, approach); the
# recognition tasks (CMAR, FMAR) name a label, and postures such as arms akimbo or crossed legs
# are rightly recognised from one frame.
MOTION_TASKS = tasks_in_tier(Tier.COMPREHENSION)  # SAD, MAD, MAS, PPR
SEQUENCE_TASKS = ("MAS",)  # micro-action sequence: the temporal order of the movements
ROTATING_PREDICTORS = (P.OPENAI_COMPATIBLE, P.BLIND, P.CHOICES_ONLY)

Answers = dict[int, dict[int, str]]  # run id -> rotation -> parsed answer (in the item's letters)


def model_flags_sync(*, benchmark: Benchmark) -> Counter:
    items = {
        pk: SimpleNamespace(id=pk, qid=qid, task=task, answer=answer, version=version)
        for pk, qid, task, answer, version in QAItem.objects.filter(benchmark=benchmark, task__in=CLOSED_TASKS)
        .exclude(answer="")
        .values_list("id", "qid", "task", "answer", "version")
    }
    runs = {run.pk: run for run in benchmark.runs.all()}
    models = paired_runs(runs.values())
    answers: defaultdict[int, Answers] = defaultdict(dict)
    predictions = (
        Prediction.objects.filter(run__benchmark=benchmark, item_id__in=items)
        .exclude(outcome=Prediction.Outcome.ERROR)
        .values_list("item_id", "item_version", "run_id", "rotation", "parsed_answer")
    )
    for item_id, version, run_id, rotation, answer in predictions:
        if version == items[item_id].version:
            answers[item_id].setdefault(run_id, {})[rotation] = answer
    findings = []
    for item_id, by_run in answers.items():
        item = items[item_id]
        findings += _item_findings(item, _plain_answers(by_run, runs))
        findings += _position_findings(item, by_run, runs)
        findings += _probe_findings(item, by_run, models)
    with transaction.atomic():
        scope = QualityFlag.objects.filter(benchmark=benchmark, source=MODEL_SOURCE)
        return sync_flags(benchmark, findings, scope, MODEL_SOURCE)


def _plain_answers(by_run: Answers, runs: dict[int, BaselineRun]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"blind": [], "vision": []}
    for run_id, rotations in by_run.items():
        run = runs[run_id]
        if 0 not in rotations:
            continue
        if run.predictor == P.BLIND:
            seen["blind"].append(rotations[0])
        elif sees_ordered_frames(run):
            seen["vision"].append(rotations[0])
    return seen


def _all_blind_runs(count: int) -> str:
    return "The one question-only run answers" if count == 1 else f"All {count} question-only runs answer"


def _item_findings(item, seen: dict[str, list[str]]) -> list[Finding]:
    blind, vision = seen["blind"], seen["vision"]
    findings = []
    is_choice = TASKS[item.task].answer_format == AnswerFormat.CHOICE
    if blind and all(a == item.answer for a in blind) and (is_choice or len(blind) >= 2):
        findings.append(
            Finding(
                "blind_solvable",
                "warning",
                f"{_all_blind_runs(len(blind))} '{item.answer}' correctly without the video.",
                item=item,
            )
        )
    if len(vision) >= 2 and all(a != item.answer for a in vision):
        findings.append(
            Finding(
                "all_models_wrong",
                "warning",
                f"All {len(vision)} vision runs disagree with the key "
                f"'{item.answer}' ({', '.join(sorted(set(vision)))}).",
                item=item,
            )
        )
    everyone = blind + vision
    if len(everyone) >= 3:
        other, votes = (
            Counter(a for a in everyone if a != item.answer).most_common(1)[0]
            if any(a != item.answer for a in everyone)
            else ("", 0)
        )
        if votes * 2 > len(everyone):
            findings.append(
                Finding(
                    "key_disputed",
                    "warning",
                    f"{votes} of {len(everyone)} runs answer '{other}', not the key '{item.answer}'.",
                    item=item,
                    details={"answer": other},
                )
            )
    return findings


def _position_findings(item, by_run: Answers, runs: dict[int, BaselineRun]) -> list[Finding]:
    moved: list[dict[str, Any]] = []
    for run_id, rotations in sorted(by_run.items()):
        run = runs[run_id]
        if not run.settings.get("circular") or run.predictor not in ROTATING_PREDICTORS:
            continue
        chosen = [rotations.get(r, "") for r in range(max(rotations) + 1)]
        if len({answer for answer in chosen if answer}) > 1:
            moved.append({"run": run.name, "run_id": run.pk, "answers": chosen})
    if not moved:
        return []
    described = "; ".join(f"{m['run']}: {' '.join(a or '?' for a in m['answers'])}" for m in moved)
    return [
        Finding(
            "position_sensitive",
            "warning",
            f"{counted(len(moved), 'model run')} {for_count(len(moved), 'chooses', 'choose')} another option when "
            f"the options are rotated (the option chosen "
            f"at each rotation, in the item's letters; key '{item.answer}'): {described}.",
            item=item,
            details={"runs": moved},
        )
    ]


def _probe_findings(item, by_run: Answers, models: list[ModelRuns]) -> list[Finding]:
    def plain(run: BaselineRun | None) -> str | None:
        return by_run.get(run.pk, {}).get(0) if run is not None else None

    findings = []
    if item.task in MOTION_TASKS:
        single = [(m.model, plain(m.single_frame)) for m in models if plain(m.single_frame) is not None]
        enough = len(single) >= (1 if TASKS[item.task].answer_format == AnswerFormat.CHOICE else 2)
        if enough and all(answer == item.answer for _, answer in single):
            findings.append(
                _models_finding(
                    "single_frame_solvable",
                    item,
                    [model for model, _ in single],
                    lambda count, names: (
                        f"Every single-frame run ({count}: {names}) answers '{item.answer}' right "
                        f"from the middle frame alone, although {item.task} asks about motion."
                    ),
                )
            )
    if item.task in SEQUENCE_TASKS:
        right_in_order = [
            (m.model, plain(reversed_run))
            for m in models
            for reversed_run, ordered_run in m.reordered(FrameOrder.REVERSED)
            if plain(ordered_run) == item.answer and plain(reversed_run) is not None
        ]
        if right_in_order and all(answer == item.answer for _, answer in right_in_order):
            findings.append(
                _models_finding(
                    "order_insensitive",
                    item,
                    [model for model, _ in right_in_order],
                    lambda count, names: (
                        f"{counted(count, 'model run')} that {for_count(count, 'answers', 'answer')} "
                        f"'{item.answer}' right in order {for_count(count, 'answers', 'answer')} "
                        f"the same with the frames reversed ({names}): the question may not test the order."
                    ),
                )
            )
    return findings


def _models_finding(kind: str, item, models: list[str], describe: Callable[[int, str], str]) -> Finding:
    """A warning naming the models whose probe runs raise it."""
    return Finding(kind, "warning", describe(len(models), ", ".join(models)), item=item, details={"models": models})
