"""Build and run review queues: pick the clips that match the filters, lay out overlap slots
in order; reassign, release, pause.

A queue with a question filter (tasks, tiers, statuses, flags, regenerated) over an evaluation
benchmark is *scoped*: it serves the questions its filters matched when it was made (stored as
``QueueScopeItem`` rows, so settling an item or clearing its flag does not change the queue's
work), and neither the clip's caption nor its other questions, which the review page shows
read-only once the blind phase is over. Without one (no filter, or clips only) a queue serves
every question of its clips and the caption. Excluded questions and captions are served only
by a queue whose status filter names excluded (``Queue.reopens_excluded``).

Over a training corpus a queue reviews captions (its statuses, flags and clips pick captions)
unless it names tasks, tiers or regenerated (``CORPUS_QA_FILTERS``): then it is a scoped queue over
the corpus's QA rows, as over an evaluation benchmark (statuses and flags pick questions), less the
QA rows of clips excluded from the corpus (their caption excluded), which are never released.

Bad settings raise ``django.core.exceptions.ValidationError`` keyed by the form field
(``name``, ``overlap``, ``tasks``, ``clips`` ...), so a page can show each error beside its field.

Each change is one audit event (target: the queue): ``queue_created`` with the queue's settings,
filters, annotators and slot count; ``queue_changed`` with the changed values before and after.
A call that changes nothing (pausing a paused queue, assigning the same people) records nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery

from annotation.domain.input_rules import name_problem
from annotation.domain.plurals import for_count
from annotation.domain.taxonomy import TASKS, Tier
from annotation.domain.transitions import ReviewStatus
from annotation.models import AuditEvent, Benchmark, Prediction, QAItem, QualityFlag
from annotation.selectors import captions_matching, items_matching
from annotation.services.audited_writes import Actor, record_action
from review.models import Queue, QueueScopeItem, QueueSlot, Review, User

from .claims import claim_release

FILTER_CHOICES = {
    "tasks": list(TASKS),
    "tiers": [t.value for t in Tier],
    "statuses": list(ReviewStatus.values),
    "flags": list(QualityFlag.Kind.values),
}
QUESTION_FILTERS = ("tasks", "tiers", "statuses", "flags", "regenerated")  # what makes a queue scoped
CORPUS_QA_FILTERS = ("tasks", "tiers", "regenerated")  # what makes a training corpus's queue review QA rows
MIN_LEASE_SECONDS = 60
MAX_LEASE_SECONDS = 7 * 24 * 3600  # a week; also keeps the column's integer range
Event = AuditEvent.EventType


def _shared(filters: dict) -> dict:
    return {name: filters.get(name) or () for name in ("statuses", "flags", "clips")}


def matching_items(benchmark: Benchmark, filters: dict):
    items = items_matching(
        benchmark=benchmark, tasks=filters.get("tasks") or (), tiers=filters.get("tiers") or (), **_shared(filters)
    )
    if filters.get("regenerated"):
        items = _regenerated_since_review(items)
    if benchmark.is_caption_centric:  # a clip excluded from the corpus takes its QA rows with it
        items = items.exclude(video__caption__review_status=ReviewStatus.EXCLUDED)
    return items.distinct()


def is_scoped(benchmark: Benchmark, filters: dict) -> bool:
    """Whether a queue over ``filters`` serves only the questions they match (see the module's docstring)."""
    names = CORPUS_QA_FILTERS if benchmark.is_caption_centric else QUESTION_FILTERS
    return any(filters.get(name) for name in names)


def _less_excluded(rows, filters: dict):
    """Excluded questions or captions are a queue's work only when its status filter names excluded."""
    if ReviewStatus.EXCLUDED in (filters.get("statuses") or ()):
        return rows
    return rows.exclude(review_status=ReviewStatus.EXCLUDED)


def served_items(benchmark: Benchmark, filters: dict):
    """The questions a queue over ``filters`` would serve if made now."""
    return _less_excluded(matching_items(benchmark, filters), filters)


def matching_video_ids(benchmark: Benchmark, filters: dict) -> list[int]:
    """The clips a queue over ``filters`` covers: those with a question it serves, or, in a training corpus's
    caption queue, with a caption it serves (review status, open caption flags, clip names)."""
    if not benchmark.is_caption_centric or is_scoped(benchmark, filters):
        return sorted(set(served_items(benchmark, filters).values_list("video_id", flat=True)))
    captions = _less_excluded(captions_matching(benchmark=benchmark, **_shared(filters)), filters)
    return sorted(set(captions.values_list("video_id", flat=True)))


def _scope_store(queue: Queue, filters: dict) -> int:
    """A scoped queue's questions, fixed as they match now; returns their number."""
    item_ids = sorted(set(served_items(queue.benchmark, filters).values_list("pk", flat=True)))
    QueueScopeItem.objects.bulk_create(QueueScopeItem(queue=queue, item_id=item_id) for item_id in item_ids)
    return len(item_ids)


def _regenerated_since_review(items):
    """Reviewed items that a generator (a machine actor: generation run or import) wrote after their last review."""
    generated = AuditEvent.objects.filter(
        target_kind=QAItem.audit_kind,
        target_id=OuterRef("pk"),
        actor_user__isnull=True,
        event_type__in=[AuditEvent.EventType.CREATED, AuditEvent.EventType.EDITED],
    )
    reviewed = Review.objects.filter(item=OuterRef("pk"))
    return items.annotate(
        generated_at=Subquery(generated.order_by("-at").values("at")[:1]),
        reviewed_at=Subquery(reviewed.order_by("-created_at").values("created_at")[:1]),
    ).filter(generated_at__gt=F("reviewed_at"))


def _clip_order(queue: Queue, video_ids: list[int]) -> list[int]:
    if queue.order == Queue.Order.RANDOM:
        shuffled = sorted(video_ids)
        random.Random(queue.pk).shuffle(shuffled)
        return shuffled
    if queue.order == Queue.Order.CLIP:
        return sorted(video_ids)
    if queue.order == Queue.Order.FLAGGED_FIRST:
        weight = dict(
            QAItem.objects.filter(video_id__in=video_ids)
            .values_list("video_id")
            .annotate(n=Count("flags", filter=Q(flags__status=QualityFlag.Status.OPEN)))
        )
    else:  # model disagreement: clips whose predictions most often miss the key
        weight = dict(
            Prediction.objects.unrotated()
            .filter(item__video_id__in=video_ids, correct=False)
            .values_list("item__video_id")
            .annotate(n=Count("id"))
        )
    return sorted(video_ids, key=lambda v: (-weight.get(v, 0), v))


def overlap_sample(queue: Queue, video_ids: list[int]) -> set[int]:
    """The clips that get ``overlap`` slots: a share of them, drawn at random seeded by the queue."""
    if queue.overlap <= 1:
        return set()
    count = round(len(video_ids) * queue.overlap_sample_percent / 100)
    return set(random.Random(f"overlap-{queue.pk}").sample(sorted(video_ids), count))


def _filters_check(benchmark: Benchmark, filters: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown_keys = set(filters) - set(FILTER_CHOICES) - {"clips", "regenerated"}
    if unknown_keys:
        errors["filters"] = [
            f"unknown {for_count(len(unknown_keys), 'filter', 'filters')}: {', '.join(sorted(unknown_keys))}"
        ]
    for key, allowed in FILTER_CHOICES.items():
        unknown = [v for v in filters.get(key, []) if v not in allowed]
        if unknown:
            errors[key] = [f"unknown {key}: {', '.join(map(str, unknown))}; expected some of {', '.join(allowed)}"]
    clips = filters.get("clips", [])
    if clips:
        known = set(benchmark.videos.filter(clip_name__in=clips).values_list("clip_name", flat=True))
        missing = [c for c in clips if c not in known]
        if missing:
            errors["clips"] = [
                f"no clip named {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''} in {benchmark.name}"
            ]
    return errors


def _settings_check(
    *,
    benchmark: Benchmark,
    name: str,
    stage: str,
    overlap: int,
    overlap_sample_percent: int,
    lease_seconds: int,
    order: str,
) -> dict[str, list[str]]:
    name_message = name_problem(name.strip(), what="queue name")
    checks = {
        "name": (name_message is not None, name_message or ""),
        "stage": (stage not in Queue.Stage.values, f"unknown stage {stage!r}"),
        "order": (order not in Queue.Order.values, f"unknown order {order!r}"),
        "overlap": (not 1 <= overlap <= 10, "overlap must be between 1 and 10 reviews per clip"),
        "overlap_sample_percent": (not 0 <= overlap_sample_percent <= 100, "the sample must be 0 to 100 %"),
        "lease_seconds": (
            not MIN_LEASE_SECONDS <= lease_seconds <= MAX_LEASE_SECONDS,
            f"a lease lasts {MIN_LEASE_SECONDS} s to {MAX_LEASE_SECONDS} s (7 days)",
        ),
    }
    errors = {field: [message] for field, (failed, message) in checks.items() if failed}
    if name.strip() and Queue.objects.filter(benchmark=benchmark, name=name.strip()).exists():
        errors["name"] = [f"{benchmark.name} has a queue named {name.strip()!r} already"]
    return errors


@transaction.atomic
def queue_create(
    *,
    benchmark: Benchmark,
    name: str,
    created_by: User,
    stage: str = Queue.Stage.FIRST_PASS,
    filters: dict | None = None,
    overlap: int = 1,
    overlap_sample_percent: int = 100,
    blind: bool = True,
    lease_seconds: int = 1800,
    order: str = Queue.Order.FLAGGED_FIRST,
    annotators: Iterable[User] = (),
    by: Actor | None = None,
) -> Queue:
    """A queue owned by ``created_by``, who is also the actor of its ``queue_created`` event unless
    ``by`` names another (the demo seed records itself)."""
    filters = {
        key: values if isinstance(values, bool) else list(values) for key, values in (filters or {}).items() if values
    }
    errors = _settings_check(
        benchmark=benchmark,
        name=name,
        stage=stage,
        overlap=overlap,
        order=order,
        overlap_sample_percent=overlap_sample_percent,
        lease_seconds=lease_seconds,
    )
    errors |= _filters_check(benchmark, filters)
    if errors:
        raise ValidationError(errors)
    videos = matching_video_ids(benchmark, filters)
    if not videos:
        what = "caption" if benchmark.is_caption_centric and not is_scoped(benchmark, filters) else "question"
        raise ValidationError({"filters": [f"no {what} of the benchmark matches these filters"]})
    queue = Queue.objects.create(
        benchmark=benchmark,
        name=name.strip(),
        stage=stage,
        filters=filters,
        overlap=overlap,
        overlap_sample_percent=overlap_sample_percent,
        blind=blind,
        lease_seconds=lease_seconds,
        order=order,
        scoped=is_scoped(benchmark, filters),
        created_by=created_by,
    )
    queue.annotators.set(annotators)
    scope_size = _scope_store(queue, filters) if queue.scoped else None
    ordered = _clip_order(queue, videos)
    sampled = overlap_sample(queue, videos)
    # All first copies come before any second copy: a clip's overlap reviews happen after everything has one.
    layout = [(video_id, 1) for video_id in ordered]
    layout += [(video_id, copy) for copy in range(2, overlap + 1) for video_id in ordered if video_id in sampled]
    QueueSlot.objects.bulk_create(
        QueueSlot(queue=queue, video_id=video_id, copy=copy, position=position)
        for position, (video_id, copy) in enumerate(layout)
    )
    record_action(
        actor=by or Actor.person(created_by),
        event_type=Event.QUEUE_CREATED,
        target_kind=Queue.audit_kind,
        target_id=queue.pk,
        after=_queue_settings(queue)
        | {"annotators": _usernames(queue.annotators.all()), "slot_count": len(layout), "scope_questions": scope_size},
    )
    return queue


def _queue_settings(queue: Queue) -> dict:
    return {
        "benchmark_id": queue.benchmark_id,
        "name": queue.name,
        "stage": queue.stage,
        "filters": queue.filters,
        "overlap": queue.overlap,
        "overlap_sample_percent": queue.overlap_sample_percent,
        "blind": queue.blind,
        "scoped": queue.scoped,
        "lease_seconds": queue.lease_seconds,
        "order": queue.order,
        "paused": queue.paused,
    }


def _usernames(users: Iterable[User]) -> list[str]:
    return sorted(user.username for user in users)


SPLITS = {"tier": ("tiers", [t.value for t in Tier]), "task": ("tasks", list(TASKS))}


@transaction.atomic
def queues_bulk_create(
    *, benchmark: Benchmark, name_prefix: str, split_by: str, created_by: User, filters: dict | None = None, **settings
) -> list[Queue]:
    """One queue per tier (or per task) that has matching questions; all of them or none."""
    if split_by not in SPLITS:
        raise ValidationError({"split_by": [f"split by one of {', '.join(SPLITS)}, not {split_by!r}"]})
    key, values = SPLITS[split_by]
    filters = dict(filters or {})
    chosen = filters.pop(key, None) or values
    if not name_prefix.strip():
        raise ValidationError({"name_prefix": ["give the queues a name prefix"]})
    queues = []
    for value in chosen:
        part = filters | {key: [value]}
        if matching_video_ids(benchmark, part):
            queues.append(
                queue_create(
                    benchmark=benchmark,
                    name=f"{name_prefix.strip()} · {value}",
                    created_by=created_by,
                    filters=part,
                    **settings,
                )
            )
    if not queues:
        raise ValidationError({"filters": ["no question of the benchmark matches these filters"]})
    return queues


def _lock(queue: Queue) -> Queue:
    """The queue's row, locked for a change of its settings (NO KEY: claims and slots referencing it go on)."""
    return Queue.objects.select_for_update(no_key=True).only("pk", "paused").get(pk=queue.pk)


@transaction.atomic
def queue_annotators_set(*, queue: Queue, annotators: Iterable[User], by: User) -> int:
    """Assign exactly these people; open claims of those taken off go back to the queue. Returns that count."""
    annotators = list(annotators)
    _lock(queue)
    before = _usernames(queue.annotators.all())
    queue.annotators.set(annotators)
    returned = (
        QueueSlot.objects.filter(queue=queue, completed_at__isnull=True, claimed_by__isnull=False)
        .exclude(claimed_by__in=annotators)
        .update(claimed_by=None, lease_expires=None)
    )
    after = _usernames(annotators)
    if before != after or returned:
        record_action(
            actor=Actor.person(by),
            event_type=Event.QUEUE_CHANGED,
            target_kind=Queue.audit_kind,
            target_id=queue.pk,
            before={"annotators": before},
            after={"annotators": after, "claims_returned": returned},
        )
    return returned


def queue_slot_release(*, queue: Queue, slot_id: int, by: User) -> QueueSlot:
    """An admin gives a person's open claim back to the queue."""
    slot = QueueSlot.objects.filter(queue=queue, pk=slot_id).select_related("claimed_by").first()
    if slot is None:
        raise ValidationError({"slot": [f"queue {queue.name!r} has no slot #{slot_id}"]})
    if slot.completed_at is not None or slot.claimed_by is None:
        raise ValidationError({"slot": [f"slot #{slot_id} ({slot.video.clip_name}) is not claimed"]})
    claim_release(slot=slot, actor=Actor.person(by), reason="released by an admin")
    slot.refresh_from_db()
    return slot


@transaction.atomic
def queue_pause_set(*, queue: Queue, paused: bool, by: User) -> Queue:
    was_paused = _lock(queue).paused
    queue.paused = paused
    if was_paused == paused:
        return queue
    Queue.objects.filter(pk=queue.pk).update(paused=paused)
    record_action(
        actor=Actor.person(by),
        event_type=Event.QUEUE_CHANGED,
        target_kind=Queue.audit_kind,
        target_id=queue.pk,
        before={"paused": was_paused},
        after={"paused": paused},
    )
    return queue
