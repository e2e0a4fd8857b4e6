"""Scores as MA-Bench / MAC 2026 publishes them.

Closed tasks: accuracy per task (an unparseable reply counts wrong; failed requests are
not scored), closed average = plain mean of the 6 tasks. Open tasks (MADU, MARE): mean
judge score per dimension, 0-5. MAC final score: the mean of the 12 sub-scores, each
open dimension multiplied by 20 so that all are on 0-100.

A circular run is scored twice: accuracy as above from the items as they are (rotation 0, the
same prediction a plain run makes), and CircularEval accuracy per choice task: an item counts
right only when every rotation of its options is answered right; items at their current version
with every rotation answered are scored (a failed rotation waits for the resume).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Avg, F

from annotation.domain.circular import rotation_count
from annotation.domain.taxonomy import CLOSED_TASKS, OPEN_TASKS, AnswerFormat, tasks_of
from annotation.models import BaselineRun, JudgeScore, Prediction, QAItem

DIMENSIONS = ("l1", "l2", "l3")
HUMAN_JUDGE_PREFIX = "human:"
CHOICE_TASKS = tasks_of(AnswerFormat.CHOICE)


@dataclass
class RunScores:
    accuracy: dict[str, float] = field(default_factory=dict)  # task -> % correct
    scored: dict[str, int] = field(default_factory=dict)  # task -> predictions scored
    open_scores: dict[str, dict[str, float]] = field(default_factory=dict)  # task -> dimension -> mean 0-5
    circular: dict[str, float] = field(default_factory=dict)  # choice task -> % right under every rotation
    circular_scored: dict[str, int] = field(default_factory=dict)  # choice task -> items scored circularly

    @property
    def closed_average(self) -> float | None:
        if set(self.accuracy) != set(CLOSED_TASKS):
            return None
        return sum(self.accuracy.values()) / len(CLOSED_TASKS)

    @property
    def open_average(self) -> float | None:
        values = [v for dims in self.open_scores.values() for v in dims.values()]
        return sum(values) / len(values) if len(values) == 3 * len(OPEN_TASKS) else None

    @property
    def mac_final(self) -> float | None:
        if self.closed_average is None or self.open_average is None:
            return None
        subscores = list(self.accuracy.values()) + [20 * v for dims in self.open_scores.values() for v in dims.values()]
        return sum(subscores) / len(subscores)

    @property
    def accuracy_row(self) -> list[tuple[str, float | None]]:
        return [(task, self.accuracy.get(task)) for task in CLOSED_TASKS]

    @property
    def open_row(self) -> list[tuple[str, dict | None]]:
        return [(task, self.open_scores.get(task)) for task in OPEN_TASKS]

    @property
    def circular_row(self) -> list[tuple[str, float | None]]:
        return [(task, self.circular.get(task)) for task in CHOICE_TASKS]

    def as_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "scored": self.scored,
            "circular_accuracy": self.circular,
            "circular_scored": self.circular_scored,
            "open_scores": self.open_scores,
            "closed_average": self.closed_average,
            "open_average": self.open_average,
            "mac_final": self.mac_final,
        }


def accuracy_of(outcomes: list[bool]) -> float:
    return 100.0 * sum(outcomes) / len(outcomes)


def run_scores(run: BaselineRun, *, judge: str | None = None, item_ids: Collection[int] | None = None) -> RunScores:
    """The run's scores, over ``item_ids`` only when given (a release's items)."""
    scores = RunScores()
    per_task: defaultdict[str, list[bool]] = defaultdict(list)
    predictions = run.predictions if item_ids is None else run.predictions.filter(item_id__in_array=item_ids)
    rows = (
        predictions.unrotated()
        .filter(item__task__in=CLOSED_TASKS, correct__isnull=False)
        .exclude(outcome=Prediction.Outcome.ERROR)
        .values_list("item__task", "correct")
    )
    for task, correct in rows:
        assert correct is not None  # correct__isnull=False
        per_task[task].append(correct)
    for task in CLOSED_TASKS:
        if per_task[task]:
            scores.accuracy[task], scores.scored[task] = accuracy_of(per_task[task]), len(per_task[task])
    if run.settings.get("circular"):
        _add_circular(scores, circular_verdicts(run, item_ids=item_ids))
    judged = JudgeScore.objects.filter(prediction__run=run, prediction__item__task__in=OPEN_TASKS)
    if item_ids is not None:
        judged = judged.filter(prediction__item_id__in_array=item_ids)
    # the model judge's scores by default; reviewers' hand scores ("human:<name>") are compared, not averaged in
    judged = judged.filter(judge=judge) if judge else judged.exclude(judge__startswith=HUMAN_JUDGE_PREFIX)
    for row in judged.values("prediction__item__task").annotate(**{d: Avg(d) for d in DIMENSIONS}):
        # django-stubs types the row by the values() names alone; the Avg(...) annotations are in it too
        means = {d: float(row[d]) for d in DIMENSIONS}  # type: ignore[literal-required]
        scores.open_scores[row["prediction__item__task"]] = means
    return scores


def circular_verdicts(run: BaselineRun, *, item_ids: Collection[int] | None = None) -> dict[int, tuple[str, bool]]:
    """Item id -> (task, right under every rotation) for the circular run's choice items (of ``item_ids``
    when given) at their current version with a key and every rotation answered (parsed or unparseable,
    never a failed request)."""
    predictions = run.predictions if item_ids is None else run.predictions.filter(item_id__in_array=item_ids)
    rows = (
        predictions.filter(item__task__in=CHOICE_TASKS, item_version=F("item__version"), correct__isnull=False)
        .exclude(outcome=Prediction.Outcome.ERROR)
        .values_list("item_id", "rotation", "correct")
    )
    seen: defaultdict[int, dict[int, bool]] = defaultdict(dict)
    for item_id, rotation, correct in rows:
        seen[item_id][rotation] = bool(correct)
    items = QAItem.objects.filter(pk__in=seen).values_list("id", "task", "options")
    return {
        pk: (task, all(seen[pk].values()))
        for pk, task, options in items
        if len(seen[pk]) == rotation_count(task, options, circular=True)
    }


def _add_circular(scores: RunScores, verdicts: dict[int, tuple[str, bool]]) -> None:
    per_task: defaultdict[str, list[bool]] = defaultdict(list)
    for task, right in verdicts.values():
        per_task[task].append(right)
    for task in CHOICE_TASKS:
        if per_task[task]:
            scores.circular[task], scores.circular_scored[task] = accuracy_of(per_task[task]), len(per_task[task])
