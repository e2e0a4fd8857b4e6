"""Build review queues: pick the clips that match the filters, lay out overlap slots in order."""

from __future__ import annotations

import random
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery

from annotation.models import AuditEvent, Benchmark, Prediction, QAItem, QualityFlag
from annotation.taxonomy import tasks_in_tier
from review.models import Queue, QueueSlot, Review, User


def matching_items(benchmark: Benchmark, filters: dict):
    items = QAItem.objects.filter(benchmark=benchmark)
    if filters.get("tasks"):
        items = items.filter(task__in=filters["tasks"])
    if filters.get("tiers"):
        items = items.filter(task__in=[t for tier in filters["tiers"] for t in tasks_in_tier(tier)])
    if filters.get("statuses"):
        items = items.filter(review_status__in=filters["statuses"])
    if filters.get("flags"):
        items = items.filter(flags__kind__in=filters["flags"], flags__status=QualityFlag.Status.OPEN)
    if filters.get("clips"):
        items = items.filter(video__clip_name__in=filters["clips"])
    if filters.get("regenerated"):
        items = _regenerated_since_review(items)
    return items.distinct()


def _regenerated_since_review(items):
    """Reviewed items that a generator (a machine actor: generation run or import) wrote after their last review."""
    generated = AuditEvent.objects.filter(target_kind=QAItem.audit_kind, target_id=OuterRef("pk"), actor_user__isnull=True,
                                          event_type__in=[AuditEvent.EventType.CREATED, AuditEvent.EventType.EDITED])  # fmt: skip
    reviewed = Review.objects.filter(item=OuterRef("pk"))
    return items.annotate(generated_at=Subquery(generated.order_by("-at").values("at")[:1]),
                          reviewed_at=Subquery(reviewed.order_by("-created_at").values("created_at")[:1])) \
        .filter(generated_at__gt=F("reviewed_at"))  # fmt: skip


def _clip_order(queue: Queue, video_ids: list[int]) -> list[int]:
    if queue.order == Queue.Order.RANDOM:
        shuffled = sorted(video_ids)
        random.Random(queue.pk).shuffle(shuffled)
        return shuffled
    if queue.order == Queue.Order.CLIP:
        return sorted(video_ids)
    if queue.order == Queue.Order.FLAGGED_FIRST:
        weight = dict(QAItem.objects.filter(video_id__in=video_ids).values_list("video_id").annotate(
            n=Count("flags", filter=Q(flags__status=QualityFlag.Status.OPEN))))  # fmt: skip
    else:  # model disagreement: clips whose predictions most often miss the key
        weight = dict(Prediction.objects.filter(item__video_id__in=video_ids, correct=False)
                      .values_list("item__video_id").annotate(n=Count("id")))  # fmt: skip
    return sorted(video_ids, key=lambda v: (-weight.get(v, 0), v))


@transaction.atomic
def queue_create(*, benchmark: Benchmark, name: str, created_by: User, stage: str = Queue.Stage.FIRST_PASS,
                 filters: dict | None = None, overlap: int = 1, blind: bool = True, lease_seconds: int = 1800,
                 order: str = Queue.Order.FLAGGED_FIRST, annotators: Iterable[User] = ()) -> Queue:  # fmt: skip
    if overlap < 1:
        raise ValueError("overlap must be at least 1")
    queue = Queue.objects.create(benchmark=benchmark, name=name, stage=stage, filters=filters or {}, overlap=overlap,
                                 blind=blind, lease_seconds=lease_seconds, order=order, created_by=created_by)  # fmt: skip
    queue.annotators.set(annotators)
    videos = sorted(set(matching_items(benchmark, queue.filters).values_list("video_id", flat=True)))
    ordered = _clip_order(queue, videos)
    # All first copies come before any second copy: a clip's overlap reviews happen after everything has one.
    QueueSlot.objects.bulk_create(
        QueueSlot(queue=queue, video_id=video_id, copy=copy, position=(copy - 1) * len(ordered) + n)
        for copy in range(1, overlap + 1) for n, video_id in enumerate(ordered)
    )
    return queue


def demo_queue_ensure(*, benchmark: Benchmark) -> Queue:
    """A blind first-pass queue over the demo benchmark, assigned to the demo annotator."""
    existing = Queue.objects.filter(benchmark=benchmark, name="Demo first pass").first()
    if existing:
        return existing
    return queue_create(benchmark=benchmark, name="Demo first pass", created_by=User.objects.get(username="admin"),
                        annotators=User.objects.filter(username="annotator"))  # fmt: skip
