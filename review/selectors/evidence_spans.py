"""Evidence spans as read back: each person's marked frames per question, and per task the median span,
the item's temporal certificate (how much of the clip a person needs to answer it).

Only counted reviews enter (``Review.objects.counted()``: of people who completed their copy of the
clip), as for agreement and settling. Definitions, also in the README:

- a person's span on an item is their latest counted review of it that has a span (any queue, stage or
  decision);
- an item's span length is the median over those people of ``end - start + 1`` frames, and in seconds
  that length over the clip's nominal frame rate (``review.evidence_span``);
- a task's median is the median over its items with a span of their lengths (seconds: over those whose
  clip has a frame rate).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime
from statistics import median

from annotation.domain.taxonomy import TASKS
from review.evidence_span import EvidenceSpan, clip_fps, span_of
from review.models import Review


@dataclass(frozen=True)
class TaskSpanSummary:
    task: str
    items_with_span: int
    median_frames: float | None
    median_seconds: float | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PersonSpan:
    """One counted review's span, as the clip view and the adjudication page list them."""

    reviewer: str
    queue: str
    stage: str
    decision: str
    at: datetime
    span: EvidenceSpan


def _with_span():
    return Review.objects.counted().filter(evidence_start_frame__isnull=False)


def evidence_span_summary(*, benchmark_id: int, item_ids: Collection[int] | None = None) -> dict[str, TaskSpanSummary]:
    """Per task code (every task, in the taxonomy's order), the items of the benchmark (of ``item_ids`` when
    given) with a span, and the median span in frames and seconds (None without a span). One query."""
    reviews = _with_span().filter(item__benchmark_id=benchmark_id)
    if item_ids is not None:
        reviews = reviews.filter(item_id__in_array=item_ids)
    latest: dict[tuple[int, int], int] = {}  # (item, person) -> frames, the latest review winning
    about: dict[int, tuple[str, float | None]] = {}  # item -> task, seconds per frame
    rows = reviews.order_by("created_at", "pk").values_list(
        "item_id",
        "reviewer_id",
        "evidence_start_frame",
        "evidence_end_frame",
        "item__task",
        "item__video__fps_num",
        "item__video__fps_den",
    )
    for item_id, person_id, start, end, task, fps_num, fps_den in rows:
        latest[item_id, person_id] = end - start + 1
        fps = clip_fps(fps_num, fps_den)
        about[item_id] = (task, float(1 / fps) if fps else None)
    per_item: dict[int, list[int]] = {}
    for (item_id, _), frames in latest.items():
        per_item.setdefault(item_id, []).append(frames)
    lengths: dict[str, list[tuple[float, float | None]]] = {task: [] for task in TASKS}
    for item_id, people in per_item.items():
        task, frame_seconds = about[item_id]
        item_frames = float(median(people))
        lengths[task].append((item_frames, item_frames * frame_seconds if frame_seconds is not None else None))
    return {task: _summary(task, found) for task, found in lengths.items()}


def _summary(task: str, lengths: list[tuple[float, float | None]]) -> TaskSpanSummary:
    seconds = [s for _, s in lengths if s is not None]
    return TaskSpanSummary(
        task=task,
        items_with_span=len(lengths),
        median_frames=float(median(f for f, _ in lengths)) if lengths else None,
        median_seconds=float(median(seconds)) if seconds else None,
    )


def spans_by_item(item_ids: Collection[int]) -> dict[int, list[PersonSpan]]:
    """Every counted review's span of these items, oldest first, by item id: one query."""
    rows = (
        _with_span()
        .filter(item_id__in_array=item_ids)
        .select_related("reviewer", "slot__queue", "item__video")
        .order_by("created_at", "pk")
    )
    spans: dict[int, list[PersonSpan]] = {item_id: [] for item_id in item_ids}
    for review in rows:
        video = review.item.video
        span = span_of(review.evidence_start_frame, review.evidence_end_frame, clip_fps(video.fps_num, video.fps_den))
        assert span is not None  # filtered on a start; the database keeps both ends or neither
        spans[review.item_id].append(
            PersonSpan(
                reviewer=review.reviewer.username,
                queue=review.slot.queue.name,
                stage=review.get_stage_display(),
                decision=review.get_decision_display(),
                at=review.created_at,
                span=span,
            )
        )
    return spans
