"""Services for benchmark content; each write goes through ``audited_writes``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from annotation.domain.input_rules import content_problem
from annotation.domain.plurals import for_count
from annotation.domain.transitions import VideoStatus
from annotation.errors import InvalidInput
from annotation.models import AuditedModel, Benchmark, Caption, QAItem, Video
from annotation.plain_sql import Statement, one_round_trip

from .audited_writes import Actor, change_audited, change_in_transaction, create_audited, records_refusals
from .flags import clip_lint
from .video_processing import video_processing_request

ITEM_EDITABLE_FIELDS = ("task", "question", "options", "answer")
CAPTION_EDITABLE_FIELDS = (
    "coarse_label",
    "fine_label",
    "dominant_part",
    "other_parts",
    "direction_path",
    "phase_early",
    "phase_middle",
    "phase_late",
    "phase_middle_start",
    "phase_late_start",
    "trend",
    "contact",
    "description",
)


def benchmark_create(*, name: str, actor: Actor, kind: str = Benchmark.Kind.EVAL, description: str = "") -> Benchmark:
    return create_audited(model=Benchmark, actor=actor, values={"name": name, "kind": kind, "description": description})


def video_register(*, benchmark: Benchmark, clip_name: str, actor: Actor) -> Video:
    return create_audited(model=Video, actor=actor, values={"benchmark": benchmark, "clip_name": clip_name})


def video_attach_file(*, video: Video, source: Path, actor: Actor) -> Video:
    """Store ``source`` as the clip file of ``video``; once that is committed, a worker runs the frame
    pipeline and then the fingerprint on it, with a fresh attempt budget for the new file."""
    with source.open("rb") as handle:
        stored_name = default_storage.save(f"clips/{video.benchmark_id}/{video.clip_name}{source.suffix}", File(handle))
    with transaction.atomic():
        video = change_audited(
            model=Video,
            pk=video.pk,
            actor=actor,
            expected_version=None,
            reason="clip file linked",
            changes={"file": stored_name, "sha256": "", "size_bytes": None, "status": VideoStatus.PENDING},
        )
        video_processing_request(video_ids=[video.pk])
    return video


def _edit(
    model: type[AuditedModel],
    editable: tuple[str, ...],
    *,
    pk: int,
    actor: Actor,
    expected_version: int,
    changes: Mapping[str, Any],
    reason: str,
    with_related: tuple[str, ...],
    writes: list[Statement] | None,
):
    """The checked change, in the caller's transaction (the edit and the lint of its clip commit together)."""
    not_editable = set(changes) - set(editable)
    if not_editable:
        raise ValueError(
            f"{model.__name__} {for_count(len(not_editable), 'field', 'fields')} {', '.join(sorted(not_editable))} cannot be edited here"
        )
    problem = content_problem({**changes, "reason": reason})
    if problem:
        raise InvalidInput(f"{problem[0]}: {problem[1]}", field=problem[0])
    return change_in_transaction(
        model=model,
        pk=pk,
        actor=actor,
        changes=changes,
        expected_version=expected_version,
        reason=reason,
        with_related=with_related,
        writes=writes,
    )


def _sent_with_the_lint() -> list[Statement] | None:
    """Where statements can share a round trip, the edit's UPDATE and event go to the database with the
    lint's reads (``clip_lint``): one round trip fewer for each, where a busy machine makes each wait."""
    return [] if one_round_trip() else None


@records_refusals
def item_edit(
    *, item_id: int, actor: Actor, expected_version: int, changes: Mapping[str, Any], reason: str = ""
) -> QAItem:
    """Edit a QA item's content, then re-lint its clip and the benchmark-wide checks of its task (of every
    task when the edit moves it to another task; of none but the clip's open tasks when neither its task nor
    its answer changed, since no count of the tally moved), in one transaction."""
    writes = _sent_with_the_lint()
    with transaction.atomic():
        item = _edit(
            QAItem,
            ITEM_EDITABLE_FIELDS,
            pk=item_id,
            actor=actor,
            expected_version=expected_version,
            changes=changes,
            reason=reason,
            with_related=("benchmark", "video"),  # the lint's benchmark, the validation's clip
            writes=writes,
        )
        tasks = None if "task" in changes else [item.task] if "answer" in changes else ()
        clip_lint(benchmark=item.benchmark, video_id=item.video_id, tasks=tasks, writes=writes or ())
    return item


@records_refusals
def caption_edit(
    *, caption_id: int, actor: Actor, expected_version: int, changes: Mapping[str, Any], reason: str = ""
) -> Caption:
    writes = _sent_with_the_lint()
    with transaction.atomic():
        caption = _edit(
            Caption,
            CAPTION_EDITABLE_FIELDS,
            pk=caption_id,
            actor=actor,
            expected_version=expected_version,
            changes=changes,
            reason=reason,
            with_related=("video__benchmark",),
            writes=writes,
        )
        # no item count moved: no task's balance to check
        clip_lint(benchmark=caption.video.benchmark, video_id=caption.video_id, tasks=(), writes=writes or ())
    return caption


def review_status_set(
    *,
    model: type[QAItem] | type[Caption],
    pk: int,
    status: str,
    actor: Actor,
    expected_version: int | None,
    reason: str = "",
):
    """Move a QA item or caption to another review status, as the transition map allows."""
    return change_audited(
        model=model,
        pk=pk,
        actor=actor,
        changes={"review_status": status},
        expected_version=expected_version,
        reason=reason,
    )
