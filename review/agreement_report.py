"""Agreement tables from the reviews of items with overlap.

A unit is one item in one queue; its ratings are its reviewers' labels in slot order
(copy 1, copy 2, ...), so Cohen's kappa compares "first" and "second" reviewer. Two
judgements are measured: the blind answer, and the decision as keep / reject (a fix
keeps the item, as when items settle). Each table reads the reviews in one query.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from annotation.domain.taxonomy import TASKS
from annotation.models import Benchmark
from review.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, percent_agreement
from review.models import Queue, Review

KEEP, REJECT = "keep", "reject"


@dataclass(frozen=True)
class Agreement:
    units: int  # items with two or more ratings
    percent: float | None = None
    cohen: float | None = None  # every unit rated by exactly two
    fleiss: float | None = None  # every unit rated by the same number
    alpha: float | None = None  # Krippendorff, any number of ratings

    @property
    def measured(self) -> bool:
        return self.units > 0


@dataclass(frozen=True)
class AgreementRow:
    label: str
    answers: Agreement
    decisions: Agreement

    @property
    def pair(self) -> tuple[Agreement, Agreement]:
        return self.answers, self.decisions


@dataclass(frozen=True)
class _Rating:
    queue_id: int
    item_id: int
    task: str
    copy: int
    reviewer_id: int
    answer: str
    kept: str


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else value


def agreement_of(units: Iterable[list[str]]) -> Agreement:
    units = [u for u in units if len(u) >= 2]
    if not units:
        return Agreement(units=0)
    sizes = {len(u) for u in units}
    fleiss = _finite(fleiss_kappa(units)) if len(sizes) == 1 else None
    cohen = _finite(cohen_kappa(units)) if sizes == {2} else None
    return Agreement(
        units=len(units),
        percent=_finite(percent_agreement(units)),
        cohen=cohen,
        fleiss=fleiss,
        alpha=_finite(krippendorff_alpha(units)),
    )


def _ratings(reviews) -> list[_Rating]:
    rows = reviews.order_by("slot__queue_id", "item_id", "slot__copy", "pk").values_list(
        "slot__queue_id", "item_id", "item__task", "slot__copy", "reviewer_id", "blind_answer", "decision"
    )
    return [
        _Rating(q, i, t, c, r, answer, REJECT if decision == Review.Decision.REJECT else KEEP)
        for q, i, t, c, r, answer, decision in rows
    ]


def _units(ratings: list[_Rating]) -> dict[tuple[int, int], list[_Rating]]:
    units: dict[tuple[int, int], list[_Rating]] = defaultdict(list)
    for rating in ratings:
        units[(rating.queue_id, rating.item_id)].append(rating)
    return {key: unit for key, unit in units.items() if len(unit) >= 2}


def _row(label: str, units: Iterable[list[_Rating]]) -> AgreementRow:
    units = list(units)
    answers = [[r.answer for r in unit if r.answer] for unit in units]
    return AgreementRow(
        label=label, answers=agreement_of(answers), decisions=agreement_of([[r.kept for r in unit] for unit in units])
    )


def agreement_by_task(*, benchmark: Benchmark) -> list[AgreementRow]:
    """One row per task that has items with overlap, in taxonomy order."""
    units = _units(_ratings(Review.objects.counted().filter(item__benchmark=benchmark)))
    by_task: dict[str, list] = defaultdict(list)
    for unit in units.values():
        by_task[unit[0].task].append(unit)
    return [_row(task, by_task[task]) for task in TASKS if by_task[task]]


def agreement_by_queue(*, benchmark: Benchmark) -> list[AgreementRow]:
    """One row per queue of the benchmark that has items with overlap."""
    units = _units(_ratings(Review.objects.counted().filter(slot__queue__benchmark=benchmark)))
    by_queue: dict[int, list] = defaultdict(list)
    for (queue_id, _), unit in units.items():
        by_queue[queue_id].append(unit)
    names = dict(Queue.objects.filter(pk__in=by_queue).values_list("pk", "name"))
    return [_row(names[queue_id], by_queue[queue_id]) for queue_id in sorted(by_queue, key=names.get)]


def agreement_of_queue(*, queue: Queue) -> AgreementRow:
    return _row(queue.name, _units(_ratings(Review.objects.counted().filter(slot__queue=queue))).values())


@dataclass(frozen=True)
class PersonAgreement:
    answers: float | None  # share of the other reviewers' blind answers equal to this person's
    decisions: float | None  # the same for keep / reject
    pairs: int


def agreement_by_reviewer(*, reviews) -> dict[int, PersonAgreement]:
    """Pairwise agreement of each reviewer with the others on the same items (``reviews``: a Review queryset)."""
    answer_pairs: dict[int, list[bool]] = defaultdict(list)
    decision_pairs: dict[int, list[bool]] = defaultdict(list)
    for unit in _units(_ratings(reviews)).values():
        for mine in unit:
            for other in unit:
                if other is mine:
                    continue
                decision_pairs[mine.reviewer_id].append(mine.kept == other.kept)
                if mine.answer and other.answer:
                    answer_pairs[mine.reviewer_id].append(mine.answer == other.answer)
    return {
        reviewer: PersonAgreement(answers=_share(answer_pairs[reviewer]), decisions=_share(pairs), pairs=len(pairs))
        for reviewer, pairs in decision_pairs.items()
    }


def _share(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def answer_units(*, reviews) -> list[tuple[str, list[str]]]:
    """(task, blind answers) of each unit (an item in a queue) of ``reviews`` with two or more blind answers,
    in copy order: the units the agreement tables measure answers over."""
    units = []
    for unit in _units(_ratings(reviews)).values():
        answers = [r.answer for r in unit if r.answer]
        if len(answers) >= 2:
            units.append((unit[0].task, answers))
    return units
