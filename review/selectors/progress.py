"""Reads for the dashboards: where a benchmark stands and how the people reviewing it work.

Every function reads with a fixed number of grouped queries, whatever the number of
items, reviews or people.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from annotation.domain.taxonomy import CHOICE_LETTERS, CLOSED_TASKS, TASKS, YES_NO_ANSWERS, Tier
from annotation.models import Benchmark, QualityFlag
from review.agreement_report import PersonAgreement, agreement_by_reviewer
from review.models import Review

D = Review.Decision


def blind_answered(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """The reviews of closed questions (choice, yes/no) that hold a blind answer."""
    return reviews.filter(item__task__in=CLOSED_TASKS).exclude(blind_answer="")


def blind_answer_agrees(blind_answer: str, key: str | None) -> bool | None:
    """Whether a blind answer is the key (the item's key now, or the one its reviewer saw); None when there is
    no key to hold it against. The dashboards' one comparison of a blind answer with a key: human accuracy
    and anchoring both count through it."""
    return None if not key else blind_answer == key


def items_by_tier_and_status(*, benchmark: Benchmark) -> dict[str, Counter]:
    """Tier -> review status -> number of items."""
    table: dict[str, Counter[str]] = {tier.value: Counter() for tier in Tier}
    rows = benchmark.items.order_by().values_list("task", "review_status").annotate(n=Count("pk"))
    for task, status, n in rows:
        table[TASKS[task].tier.value][status] += n
    return table


def flags_by_kind(*, benchmark: Benchmark) -> list[tuple[str, int]]:
    """Open flags per kind, most frequent first, with the kind's label."""
    rows = (
        QualityFlag.objects.filter(benchmark=benchmark, status=QualityFlag.Status.OPEN)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return sorted(((QualityFlag.Kind(kind).label, n) for kind, n in rows), key=lambda row: (-row[1], row[0]))


def key_balance(*, benchmark: Benchmark) -> dict[str, Counter]:
    """Closed task -> answer key -> number of items ("" counts the items with no key)."""
    closed = CLOSED_TASKS
    table: dict[str, Counter[str]] = {task: Counter() for task in closed}
    rows = benchmark.items.filter(task__in=closed).order_by().values_list("task", "answer").annotate(n=Count("pk"))
    for task, answer, n in rows:
        table[task][answer] += n
    return {task: counts for task, counts in table.items() if counts}


def key_labels(balance: dict[str, Counter]) -> list[str]:
    """The answer keys to show, in a fixed order: letters, then Yes/No, then none."""
    seen = {answer for counts in balance.values() for answer in counts}
    return [label for label in (*CHOICE_LETTERS, *YES_NO_ANSWERS, "") if label in seen]


def reviews_per_day(*, reviews) -> list[tuple[date, int]]:
    rows = reviews.annotate(day=TruncDate("created_at")).order_by("day").values_list("day").annotate(n=Count("pk"))
    return list(rows)


@dataclass
class PersonStats:
    username: str
    reviews: int
    clips_done: int
    accept: int
    fix: int
    reject: int
    median_seconds: float | None
    agreement: PersonAgreement | None

    def rate(self, decision: str) -> float | None:
        return 100 * getattr(self, decision) / self.reviews if self.reviews else None

    @property
    def rates(self) -> dict[str, float | None]:
        return {d: self.rate(d) for d in D.values}


def stats_by_person(*, reviews, slots) -> list[PersonStats]:
    """Per reviewer of ``reviews`` (a Review queryset): counts, decision rates, median time, agreement.

    ``slots`` (a QueueSlot queryset over the same queues) gives the clips each person finished.
    """
    counts = (
        reviews.order_by()
        .values_list("reviewer_id", "reviewer__username")
        .annotate(total=Count("pk"), **{d: Count("pk", filter=Q(decision=d)) for d in D.values})
    )
    seconds = defaultdict(list)
    for reviewer_id, spent in reviews.filter(seconds_spent__isnull=False).values_list("reviewer_id", "seconds_spent"):
        seconds[reviewer_id].append(spent)
    clips = dict(
        slots.filter(completed_by__isnull=False).order_by().values_list("completed_by").annotate(n=Count("pk"))
    )
    agreement = agreement_by_reviewer(reviews=reviews)
    people = [
        PersonStats(
            username=username,
            reviews=total,
            clips_done=clips.get(pk, 0),
            accept=accept,
            fix=fix,
            reject=reject,
            median_seconds=statistics.median(seconds[pk]) if seconds[pk] else None,
            agreement=agreement.get(pk),
        )
        for pk, username, total, accept, fix, reject in counts
    ]
    return sorted(people, key=lambda p: p.username)


def queue_totals(people: list[PersonStats], *, reviews) -> PersonStats:
    """The same figures for a whole queue (agreement comes from the agreement table)."""
    spent = list(reviews.filter(seconds_spent__isnull=False).values_list("seconds_spent", flat=True))
    return PersonStats(
        username="all",
        reviews=sum(p.reviews for p in people),
        clips_done=sum(p.clips_done for p in people),
        accept=sum(p.accept for p in people),
        fix=sum(p.fix for p in people),
        reject=sum(p.reject for p in people),
        median_seconds=statistics.median(spent) if spent else None,
        agreement=None,
    )
