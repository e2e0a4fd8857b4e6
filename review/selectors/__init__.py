"""Reads for the human side: queues, progress, adjudication and human accuracy."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from annotation.domain.taxonomy import TASKS
from annotation.domain.transitions import ReviewStatus
from annotation.models import AuditEvent, Benchmark, QAItem
from review.models import Queue, QueueSlot, Review, User, reject_reasons_in_words
from review.services.adjudication import ADJUDICATED, adjudication_parts

from .progress import blind_answer_agrees, blind_answered

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class QueueSlotCounts(TypedDict):
    slots_total: int
    slots_done: int
    slots_claimed: int


PAUSED = "paused: nobody can claim a clip until an admin resumes the queue"
ALL_DONE = "all done: every clip of this queue is reviewed"
NOTHING_FOR_YOU = "nothing left for you: every open clip is held by others or already reviewed by you"


@dataclass(frozen=True)
class QueueForPerson:
    """A queue on a person's home page: their progress, the clip they hold, and whether Start can give them one."""

    queue: Queue
    done_by_me: int
    open_slots: int
    held_slot_id: int | None
    claimable: bool

    @property
    def reason(self) -> str:
        """Why neither Continue nor Start is offered ("" when one is)."""
        if self.queue.paused:
            return PAUSED
        if self.held_slot_id or self.claimable:
            return ""
        return ALL_DONE if not self.open_slots else NOTHING_FOR_YOU


def my_queues(*, user: User) -> list[QueueForPerson]:
    """The queues a person is assigned to (paused ones too), with their own progress and what is left for them;
    one query whatever the number of queues. ``claimable`` holds the rule of ``claims._candidates``: an open
    slot that is free (unclaimed or its lease ran out) on a clip the person has not done or held in that stage."""
    now = timezone.now()
    open_claim = Q(claimed_by=user, completed_at__isnull=True, lease_expires__gte=now)
    held = QueueSlot.objects.filter(open_claim, queue=OuterRef("pk")).values("pk")[:1]
    mine = QueueSlot.objects.filter(
        Q(completed_by=user) | open_claim,
        queue__benchmark_id=OuterRef(OuterRef("benchmark_id")),
        queue__stage=OuterRef(OuterRef("stage")),
    ).values("video_id")
    free = (
        QueueSlot.objects.filter(queue=OuterRef("pk"), completed_at__isnull=True)
        .filter(Q(claimed_by__isnull=True) | Q(lease_expires__lt=now))
        .exclude(video_id__in=mine)
    )
    queues = (
        user.queues.select_related("benchmark")
        .annotate(
            done_by_me=Count("slots", filter=Q(slots__completed_by=user)),
            open_slots=Count("slots", filter=Q(slots__completed_at__isnull=True)),
            held_slot_id=Subquery(held),
            claimable=Exists(free),
        )
        .order_by("benchmark__name", "name")
    )
    return [
        QueueForPerson(
            queue=queue,
            done_by_me=queue.done_by_me,
            open_slots=queue.open_slots,
            held_slot_id=queue.held_slot_id,
            claimable=queue.claimable,
        )
        for queue in queues
    ]


def human_accuracy_by_task(benchmark: Benchmark) -> dict[str, float | None]:
    """Per task, % of blind answers that equal the item's current key (None: no blind answer yet).

    Open-answer tasks have no blind answers, so they are always None. Counted per task, blind answer and key in
    SQL, compared by ``progress.blind_answer_agrees``.
    """
    reviews = blind_answered(Review.objects.filter(item__benchmark=benchmark))
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for task, blind, key, n in (
        reviews.order_by().values_list("item__task", "blind_answer", "item__answer").annotate(n=Count("pk"))
    ):
        agrees = blind_answer_agrees(blind, key)
        if agrees is not None:
            total[task] += n
            right[task] += n if agrees else 0
    return {task: 100.0 * right[task] / total[task] if total[task] else None for task in TASKS}


def queues_with_progress(
    *, benchmark: Benchmark | None = None, only: Queue | None = None
) -> list[WithAnnotations[Queue, QueueSlotCounts]]:
    """Queues (of ``benchmark``, or ``only`` that one, or all) with slot counts (total, done, claimed now),
    review counts and annotator names; three queries whatever the number of queues."""
    now = timezone.now()
    scope = Q(pk=only.pk) if only else Q(benchmark=benchmark) if benchmark else Q()
    queues = list(
        Queue.objects.filter(scope)
        .select_related("benchmark")
        .annotate(
            slots_total=Count("slots"),
            slots_done=Count("slots", filter=Q(slots__completed_at__isnull=False)),
            slots_claimed=Count("slots", filter=Q(slots__completed_at__isnull=True, slots__lease_expires__gte=now)),
        )
        .order_by("benchmark__name", "name")
    )
    ids = [queue.pk for queue in queues]
    reviews = dict(
        Review.objects.filter(slot__queue_id__in=ids).order_by().values_list("slot__queue_id").annotate(n=Count("pk"))
    )
    annotators: defaultdict[int, list[str]] = defaultdict(list)
    for queue_id, username in (
        Queue.annotators.through.objects.filter(queue_id__in=ids)
        .order_by("user__username")
        .values_list("queue_id", "user__username")
    ):
        annotators[queue_id].append(username)
    for queue in queues:
        queue.review_count, queue.annotator_names = reviews.get(queue.pk, 0), annotators[queue.pk]
        queue.percent_done = 100 * queue.slots_done / queue.slots_total if queue.slots_total else 0
    return queues


def open_claims(*, queue: Queue) -> QuerySet[QueueSlot]:
    """Slots someone holds now (lease not expired, not done)."""
    return (
        queue.slots.filter(completed_at__isnull=True, lease_expires__gte=timezone.now())
        .select_related("claimed_by", "video")
        .order_by("lease_expires")
    )


def _with_evidence(items: QuerySet[QAItem]) -> QuerySet[QAItem]:
    """Items with their clip and its caption, and their counted reviews (reviewer, queue) as ``item.all_reviews``."""
    reviews = Review.objects.counted().select_related("reviewer", "slot__queue").order_by("created_at", "pk")
    return items.select_related("video__caption", "benchmark").prefetch_related(
        Prefetch("reviews", queryset=reviews, to_attr="all_reviews")
    )


def adjudication_items(*, benchmark: Benchmark | None = None, withheld: Sequence[int] = ()) -> QuerySet[QAItem]:
    """Items awaiting adjudication with their clip, caption and reviews, less those of the ``withheld`` clips."""
    items = _with_evidence(QAItem.objects.filter(review_status=ReviewStatus.NEEDS_ADJUDICATION)).order_by(
        "benchmark__name", "video__clip_name", "qid"
    )
    items = items.exclude(video_id__in=withheld) if withheld else items
    return items.filter(benchmark=benchmark) if benchmark else items


@dataclass(frozen=True)
class AdjudicationOutcome:
    """How an item was settled on the adjudication page: the status change (who, when) and its reasons and note."""

    event: AuditEvent
    reasons: list[str]
    note: str


def adjudication_item(item_id: int) -> tuple[QAItem, AdjudicationOutcome | None]:
    """One item as the adjudication page shows it, whatever its status now, and, once settled by
    adjudication, how (None before)."""
    item = _with_evidence(QAItem.objects.filter(pk=item_id)).get()
    if item.review_status == ReviewStatus.NEEDS_ADJUDICATION:
        return item, None
    event = (
        AuditEvent.objects.filter(
            target_kind=QAItem.audit_kind,
            target_id=item.pk,
            event_type=AuditEvent.EventType.STATUS_CHANGED,
            reason__startswith=ADJUDICATED,
        )
        .select_related("actor_user")
        .order_by("-id")
        .first()
    )
    if event is None:
        return item, None
    codes, note = adjudication_parts(event.reason)
    return item, AdjudicationOutcome(event=event, reasons=reject_reasons_in_words(codes), note=note)
