"""The demo queue, created through review's ``queue_create`` (its ``queue_created`` event
recorded as made by the machine source ``seed_demo``)."""

from __future__ import annotations

from annotation.models import Benchmark
from annotation.services.audited_writes import Actor
from demo.users import DEMO_SEED_SOURCE
from review.models import Queue, User
from review.services.queues import queue_create


def demo_queue_ensure(*, benchmark: Benchmark) -> Queue:
    """A blind first-pass queue over the demo benchmark, assigned to the demo annotator."""
    existing = Queue.objects.filter(benchmark=benchmark, name="Demo first pass").first()
    if existing:
        return existing
    return queue_create(
        benchmark=benchmark,
        name="Demo first pass",
        created_by=User.objects.get(username="admin"),
        annotators=User.objects.filter(username="annotator"),
        by=Actor.machine(DEMO_SEED_SOURCE),
    )
