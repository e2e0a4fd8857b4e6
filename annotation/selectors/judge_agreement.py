"""How well the judge model agrees with reviewers who scored the same open answers by hand.

Per task and dimension, over every (judge score, hand score) pair of one prediction:
exact agreement, agreement within one point, mean absolute difference and Cohen's kappa
with quadratic weights (the usual measure for ordinal 0-5 scales)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F

from annotation.models import Benchmark, JudgeScore
from annotation.selectors.scores import DIMENSIONS, HUMAN_JUDGE_PREFIX, OPEN_TASKS

SCALE = range(6)


@dataclass(frozen=True)
class JudgeHumanAgreement:
    task: str
    dimension: str
    pairs: int
    exact: float  # % of pairs with the same score
    within_one: float  # % of pairs at most one point apart
    mean_abs_diff: float
    weighted_kappa: float | None  # None when either side never varies


def quadratic_weighted_kappa(pairs: list[tuple[int, int]]) -> float | None:
    n = len(pairs)
    if not n:
        return None
    observed: defaultdict[tuple[int, int], int] = defaultdict(int)
    first: defaultdict[int, int] = defaultdict(int)
    second: defaultdict[int, int] = defaultdict(int)
    for a, b in pairs:
        observed[a, b] += 1
        first[a] += 1
        second[b] += 1
    top = len(SCALE) - 1
    weight = lambda i, j: (i - j) ** 2 / top**2  # noqa: E731
    disagreement = sum(weight(i, j) * count for (i, j), count in observed.items())
    expected = sum(weight(i, j) * first[i] * second[j] / n for i in SCALE for j in SCALE)
    return None if expected == 0 else 1 - disagreement / expected


def judge_human_agreement(*, benchmark: Benchmark) -> list[JudgeHumanAgreement]:
    scores = JudgeScore.objects.filter(prediction__run__benchmark=benchmark, prediction__item__task__in=OPEN_TASKS)
    judges: dict[int, list[JudgeScore]] = defaultdict(list)
    humans: dict[int, list[JudgeScore]] = defaultdict(list)
    task_of: dict[int, str] = {}
    for score in scores.annotate(task=F("prediction__item__task")):
        task_of[score.prediction_id] = score.task
        (humans if score.judge.startswith(HUMAN_JUDGE_PREFIX) else judges)[score.prediction_id].append(score)
    rows = []
    for task in OPEN_TASKS:
        for dimension in DIMENSIONS:
            pairs = [
                (getattr(j, dimension), getattr(h, dimension))
                for pid, hand in humans.items()
                if task_of[pid] == task
                for h in hand
                for j in judges.get(pid, [])
            ]
            if pairs:
                rows.append(_row(task, dimension, pairs))
    return rows


def _row(task: str, dimension: str, pairs: list[tuple[int, int]]) -> JudgeHumanAgreement:
    n = len(pairs)
    return JudgeHumanAgreement(
        task=task,
        dimension=dimension,
        pairs=n,
        exact=100 * sum(a == b for a, b in pairs) / n,
        within_one=100 * sum(abs(a - b) <= 1 for a, b in pairs) / n,
        mean_abs_diff=sum(abs(a - b) for a, b in pairs) / n,
        weighted_kappa=quadratic_weighted_kappa(pairs),
    )
