"""Scores as MA-Bench / MAC 2026 publishes them.

Closed tasks: accuracy per task (an unparseable reply counts wrong; failed requests are
not scored), closed average = plain mean of the 6 tasks. Open tasks (MADU, MARE): mean
judge score per dimension, 0-5. MAC final score: the mean of the 12 sub-scores, each
open dimension multiplied by 20 so that all are on 0-100.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg

from annotation.domain.taxonomy import CLOSED_TASKS, OPEN_TASKS
from annotation.models import BaselineRun, JudgeScore, Prediction

DIMENSIONS = ("l1", "l2", "l3")
HUMAN_JUDGE_PREFIX = "human:"


@dataclass
class RunScores:
    accuracy: dict[str, float] = field(default_factory=dict)  # task -> % correct
    scored: dict[str, int] = field(default_factory=dict)  # task -> predictions scored
    open_scores: dict[str, dict[str, float]] = field(default_factory=dict)  # task -> dimension -> mean 0-5

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

    def as_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "scored": self.scored,
            "open_scores": self.open_scores,
            "closed_average": self.closed_average,
            "open_average": self.open_average,
            "mac_final": self.mac_final,
        }


def accuracy_of(outcomes: list[bool]) -> float:
    return 100.0 * sum(outcomes) / len(outcomes)


def run_scores(run: BaselineRun, *, judge: str | None = None) -> RunScores:
    scores = RunScores()
    per_task: defaultdict[str, list[bool]] = defaultdict(list)
    rows = (
        run.predictions.filter(item__task__in=CLOSED_TASKS, correct__isnull=False)
        .exclude(outcome=Prediction.Outcome.ERROR)
        .values_list("item__task", "correct")
    )
    for task, correct in rows:
        assert correct is not None  # correct__isnull=False
        per_task[task].append(correct)
    for task in CLOSED_TASKS:
        if per_task[task]:
            scores.accuracy[task], scores.scored[task] = accuracy_of(per_task[task]), len(per_task[task])
    judged = JudgeScore.objects.filter(prediction__run=run, prediction__item__task__in=OPEN_TASKS)
    # the model judge's scores by default; reviewers' hand scores ("human:<name>") are compared, not averaged in
    judged = judged.filter(judge=judge) if judge else judged.exclude(judge__startswith=HUMAN_JUDGE_PREFIX)
    for row in judged.values("prediction__item__task").annotate(**{d: Avg(d) for d in DIMENSIONS}):
        # django-stubs types the row by the values() names alone; the Avg(...) annotations are in it too
        means = {d: float(row[d]) for d in DIMENSIONS}  # type: ignore[literal-required]
        scores.open_scores[row["prediction__item__task"]] = means
    return scores
