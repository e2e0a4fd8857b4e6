"""What the anchoring table costs on a dashboard, beside its floor measured in the same run.

12,000 questions on 1,000 clips (MA-Bench's size), two reviews with a blind answer per closed question
(four people, a mix of accept / fix / reject), 10 % of the items with an audited key edit after
their reviews. The anchoring read looks up the key each review saw in the audit trail; its floor is the
same grouped comparison against the items' current keys (human accuracy's shape, per person and task),
which needs no trail at all.

    scripts/with_test_services.py .venv/bin/python bench/anchoring.py
"""

from __future__ import annotations

import random
import statistics
import time

from throwaway_database import refresh_planner_statistics, throwaway_database

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotation.domain.taxonomy import CLOSED_TASKS  # noqa: E402
from annotation.models import QAItem  # noqa: E402
from annotation.services.audited_writes import Actor, change_audited  # noqa: E402
from review.models import QueueSlot, Review, User  # noqa: E402
from review.selectors.anchoring import anchoring_by_person_and_task  # noqa: E402
from review.selectors import human_accuracy_by_task  # noqa: E402
from review.selectors.progress import blind_answered  # noqa: E402
from review.services.queues import queue_create  # noqa: E402
from synthetic_benchmark import synthetic_benchmark_import  # noqa: E402

CLIPS = 1000
RUNS = 7
EDITED_SHARE = 0.1


def seeded():
    rng = random.Random(17)
    benchmark = synthetic_benchmark_import("bench: anchoring", CLIPS)
    admin = User.objects.create(username="bench-admin", role=User.Role.ADMIN)
    people = [User.objects.create(username=f"bench-{n}", role=User.Role.ANNOTATOR) for n in range(4)]
    queue = queue_create(benchmark=benchmark, name="pairs", created_by=admin, overlap=2, annotators=people)
    slots = {(s.video_id, s.copy): s for s in QueueSlot.objects.filter(queue=queue)}
    items = list(QAItem.objects.filter(benchmark=benchmark, task__in=CLOSED_TASKS))
    reviews = []
    for item in items:
        choices = [chr(65 + n) for n in range(len(item.options))] if item.options else ["Yes", "No"]
        for copy, person in ((1, people[item.pk % 2]), (2, people[2 + item.pk % 2])):
            blind = item.answer if rng.random() < 0.7 else rng.choice(choices)
            decision = rng.choices(["accept", "fix", "reject"], weights=[8, 1, 1])[0]
            reviews.append(
                Review(
                    slot=slots[(item.video_id, copy)],
                    item=item,
                    item_version=item.version,
                    reviewer=person,
                    stage=queue.stage,
                    blind_answer=blind,
                    decision=decision,
                )
            )
    Review.objects.bulk_create(reviews, batch_size=2000)
    actor = Actor.person(admin)
    for item in rng.sample(items, int(EDITED_SHARE * len(items))):
        other = "No" if item.answer == "Yes" else "Yes" if item.answer == "No" else "A" if item.answer != "A" else "B"
        change_audited(model=QAItem, pk=item.pk, actor=actor, changes={"answer": other}, expected_version=item.version)
    refresh_planner_statistics()
    return benchmark, admin, len(reviews)


def review_rows(reviews):
    """The floor: reading the rows any per-review figure must read, and nothing else."""
    return list(
        blind_answered(reviews)
        .order_by()
        .values_list("reviewer__username", "item__task", "item_id", "item_version", "decision", "blind_answer")
    )


def grouped_against_current_key(reviews):
    """Human accuracy's shape per person: grouped in SQL against the current key, no trail."""
    return list(
        blind_answered(reviews)
        .order_by()
        .values_list("reviewer__username", "item__task", "blind_answer", "item__answer")
        .annotate(n=Count("pk"))
    )


def median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    with throwaway_database():
        benchmark, admin, count = seeded()
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(admin)
        dashboard = reverse("benchmark-dashboard", args=[benchmark.pk])
        reviews = Review.objects.filter(item__benchmark=benchmark)
        with CaptureQueriesContext(connection) as captured:
            rows = anchoring_by_person_and_task(reviews=reviews).rows
        print(f"{count} reviews with a blind answer, {len(rows)} person-task rows, {len(captured)} query")
        figures = {
            "anchoring (key at the version seen, from the trail)": lambda: anchoring_by_person_and_task(
                reviews=reviews
            ),
            "floor: the review rows alone": lambda: review_rows(reviews),
            "grouped against the current key (no trail)": lambda: grouped_against_current_key(reviews),
            "human accuracy per task (benchmark dashboard)": lambda: human_accuracy_by_task(benchmark),
            "the whole benchmark dashboard page, anchoring included": lambda: client.get(dashboard),
        }
        for label, fn in figures.items():
            print(f"{label:<55} {median_ms(fn):7.0f} ms median of {RUNS}")


if __name__ == "__main__":
    main()
