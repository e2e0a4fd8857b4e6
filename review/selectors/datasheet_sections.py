"""The datasheet sections about people's work on a release (``annotation.services.datasheets``):
human blind accuracy with Wilson intervals, agreement with a seeded bootstrap interval, and a
corpus's caption reviews. The review app adds ``REVIEW_SECTIONS`` to the datasheet in its
``AppConfig.ready()``; annotation never imports this module.

Counted reviews only (``Review.objects.counted()``: the review of whoever completed the slot)."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np

from annotation.domain.intervals import bootstrap_interval, wilson_interval
from annotation.domain.taxonomy import CLOSED_TASKS
from annotation.selectors.datasheet_sections import rounded
from annotation.selectors.judge_agreement import judge_human_agreement
from annotation.services.datasheets import EVAL, TRAIN, CutSubject, DatasheetSection
from review.agreement import cohen_kappa, coincidences, krippendorff_alpha_of_coincidences, label_counts
from review.agreement_report import agreement_of, answer_units
from review.models import CaptionReview, Review
from review.selectors.evidence_spans import evidence_span_summary

BOOTSTRAP_SEED = 17
BOOTSTRAP_RESAMPLES = 1000


def _accuracy(correct: int, answers: int) -> dict:
    interval = wilson_interval(correct, answers)
    return {
        "answers": answers,
        "correct": correct,
        "accuracy": rounded(100 * correct / answers) if answers else None,
        "ci95": [rounded(100 * interval[0]), rounded(100 * interval[1])] if interval else None,
    }


def human_accuracy_section(subject: CutSubject) -> dict:
    """Per closed task, the blind answers to released items that equal the key as released, with the 95%
    Wilson interval (percent)."""
    reviews = Review.objects.counted().filter(item_id__in_array=subject.item_ids).exclude(blind_answer="")
    tallies: defaultdict[str, Counter[bool]] = defaultdict(Counter)
    for item_id, answer in reviews.values_list("item_id", "blind_answer"):
        task, key = subject.keys[item_id]
        tallies[task][answer == key] += 1
    tasks = {task: _accuracy(tallies[task][True], tallies[task].total()) for task in CLOSED_TASKS if tallies[task]}
    right = sum(t[True] for t in tallies.values())
    return {
        "scope": "blind answers (counted reviews) to the released items, against the released key; "
        "percent with the 95% Wilson interval",
        "tasks": tasks,
        "all": _accuracy(right, sum(t.total() for t in tallies.values())),
    }


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


def _resampled_statistics(units: list[list[str]]) -> dict[str, Callable[[np.ndarray], float | None]]:
    """Cohen's kappa (where ``agreement_of`` gives one: every unit answered by exactly two people) and
    Krippendorff's alpha of a resample given as unit indices. Units are grouped by their answers once
    (a handful of distinct patterns), so a resample of thousands of units is counted, not copied."""
    patterns = sorted({tuple(unit) for unit in units})
    pattern_of = np.array([patterns.index(tuple(unit)) for unit in units], dtype=np.intp)
    per_pattern = coincidences(label_counts([list(p) for p in patterns]))
    pairs = {len(u) for u in units} == {2}

    def drawn(rows: np.ndarray) -> np.ndarray:
        return np.bincount(pattern_of[rows], minlength=len(patterns))

    def cohen(rows: np.ndarray) -> float | None:
        if not pairs:
            return None
        return _finite(cohen_kappa(patterns, weights=drawn(rows).tolist()))

    def alpha(rows: np.ndarray) -> float | None:  # a resample's coincidences: each pattern's, times its draws
        return _finite(krippendorff_alpha_of_coincidences(np.tensordot(drawn(rows), per_pattern, axes=1)))

    return {"cohen_kappa": cohen, "krippendorff_alpha": alpha}


def _agreement(units: list[list[str]], *, interval: bool) -> dict:
    agreement = agreement_of(units)
    row: dict = {
        "units": agreement.units,
        "percent": rounded(None if agreement.percent is None else 100 * agreement.percent),
        "cohen_kappa": {"value": rounded(agreement.cohen)},
        "krippendorff_alpha": {"value": rounded(agreement.alpha)},
    }
    if interval:
        for name, statistic in _resampled_statistics(units).items():
            found = bootstrap_interval(len(units), statistic, seed=BOOTSTRAP_SEED, resamples=BOOTSTRAP_RESAMPLES)
            row[name]["ci95"] = [rounded(found[0]), rounded(found[1])] if found else None
    return row


def agreement_section(subject: CutSubject) -> dict:
    """Agreement of blind answers on released items reviewed by two or more people (Cohen's kappa when every
    unit has exactly two answers, Krippendorff's alpha always): over all units with a seeded percentile
    bootstrap 95% interval (units resampled in their order: queue, then item id), per task the point
    estimates; and the judge model against reviewers' hand scores of open answers (the whole benchmark)."""
    reviews = Review.objects.counted().filter(item_id__in_array=subject.item_ids)
    units = answer_units(reviews=reviews)
    by_task: defaultdict[str, list[list[str]]] = defaultdict(list)
    for task, answers in units:
        by_task[task].append(answers)
    return {
        "scope": "blind answers of counted reviews; a unit is a released item in one queue with two or more "
        "answers; the bootstrap resamples units with replacement",
        "bootstrap": {"seed": BOOTSTRAP_SEED, "resamples": BOOTSTRAP_RESAMPLES, "level": 0.95},
        "answers": _agreement([answers for _, answers in units], interval=True),
        "by_task": {task: _agreement(by_task[task], interval=False) for task in CLOSED_TASKS if by_task[task]},
        "judge_vs_human": [
            {
                "task": row.task,
                "dimension": row.dimension,
                "pairs": row.pairs,
                "exact": rounded(row.exact),
                "within_one": rounded(row.within_one),
                "weighted_kappa": rounded(row.weighted_kappa),
            }
            for row in judge_human_agreement(benchmark=subject.benchmark)
        ],
    }


def caption_reviews_section(subject: CutSubject) -> dict:
    """A corpus's counted caption reviews of the released clips: decisions, reject reasons, people, time,
    and agreement on keep / reject where two or more people reviewed a caption in one queue."""
    reviews = CaptionReview.objects.counted().filter(caption__video_id__in_array=subject.video_ids)
    rows = list(reviews.values_list("slot__queue_id", "caption_id", "reviewer_id", "decision", "reject_reasons"))
    reasons = Counter(code for *_, codes in rows for code in codes)
    per_unit: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    for queue_id, caption_id, _, decision, _ in rows:
        per_unit[queue_id, caption_id].append("reject" if decision == Review.Decision.REJECT else "keep")
    seconds = list(reviews.filter(seconds_spent__isnull=False).values_list("seconds_spent", flat=True))
    decisions = agreement_of(per_unit.values())
    return {
        "reviews": len(rows),
        "captions_reviewed": len({caption_id for _, caption_id, *_ in rows}),
        "reviewers": len({reviewer for _, _, reviewer, *_ in rows}),
        "decisions": dict(sorted(Counter(decision for *_, decision, _ in rows).items())),
        "reject_reasons": dict(sorted(reasons.items())),
        "median_seconds": statistics.median(seconds) if seconds else None,
        "decision_agreement": {
            "units": decisions.units,
            "percent": rounded(None if decisions.percent is None else 100 * decisions.percent),
            "krippendorff_alpha": rounded(decisions.alpha),
        },
    }


def evidence_spans_section(subject: CutSubject) -> dict:
    """Per task: questions with an evidence span, and the median span in frames and seconds (the
    temporal certificate), over the released items."""
    summary = evidence_span_summary(benchmark_id=subject.benchmark.pk, item_ids=subject.item_ids)
    return {task: span.as_dict() for task, span in summary.items()}


REVIEW_SECTIONS = [
    DatasheetSection("human_accuracy", 20, human_accuracy_section, kinds=frozenset({EVAL})),
    DatasheetSection("agreement", 30, agreement_section, kinds=frozenset({EVAL})),
    DatasheetSection("caption_reviews", 40, caption_reviews_section, kinds=frozenset({TRAIN})),
    DatasheetSection("evidence_spans", 45, evidence_spans_section, kinds=frozenset({EVAL})),
]
