"""Releases of a training corpus: frozen by caption, clip by clip, and refused while a
participant of the corpus also appears in a chosen evaluation benchmark.

Completeness is about captions: every clip has an accepted (or excluded) caption with
no open flag, a participant id, its clip file and model-view frames. A clip whose caption
is excluded is out of the corpus with its QA rows: not released, not checked for
participants (``annotation.selectors.corpus_clips_counted``). The accepted QA
items of released clips ride along (for the ``-qa`` exports); the others are left out.
Clips are frozen in batches, so memory and queries do not grow with the corpus.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence

from django.db.models import Max
from django.utils import timezone

from annotation.domain.transitions import ReviewStatus, VideoStatus
from annotation.exports import sft_export
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag, Release, ReleaseClip, Video
from annotation.selectors import participant_report

from .bulk_insert import insert_many, reserved_ids
from .release_snapshots import caption_snapshot, content_provenance

RELEASABLE = (ReviewStatus.ACCEPTED, ReviewStatus.EXCLUDED)
BATCH = 1000


def train_release_blockers(*, benchmark: Benchmark, against: Sequence[Benchmark]) -> list[str]:
    """Everything that keeps the corpus ``benchmark`` from release, checked against the evaluation benchmarks ``against``."""
    videos = Video.objects.filter(benchmark=benchmark)
    captions = Caption.objects.filter(video__benchmark=benchmark)
    blockers = [
        f"{clip}: no caption; import one or leave the clip out of the corpus"
        for clip in videos.filter(caption__isnull=True).order_by("clip_name").values_list("clip_name", flat=True)
    ]
    blockers += [
        f"{clip}: caption review status is {status}; accept it or exclude it"
        for clip, status in captions.exclude(review_status__in=RELEASABLE)
        .order_by("video__clip_name")
        .values_list("video__clip_name", "review_status")
    ]
    released = videos.filter(caption__review_status=ReviewStatus.ACCEPTED)
    blockers += _media_blockers(released)
    blockers += [
        f"{clip}: no participant id; re-import it with participant_id"
        for clip in released.filter(participant_id="").order_by("clip_name").values_list("clip_name", flat=True)
    ]
    blockers += _flag_blockers(benchmark, released)
    report = participant_report(benchmark=benchmark, against=against)
    blockers += [
        f"{shared}; a training corpus must share no participant with an evaluation benchmark: "
        "exclude these clips from the corpus"
        for shared in report.shared
    ]
    blockers += [
        f"{name}: {n} clip(s) without a participant id, so disjointness cannot be shown; re-import with "
        "participant_id or clip names PARTICIPANT_ID_PATTERN reads"
        for name, n in report.without_id.items()
        if name != benchmark.name
    ]
    if not released.exists():
        blockers.append("no accepted caption: nothing to release")
    return blockers


def _media_blockers(released) -> list[str]:
    not_ready = released.exclude(status=VideoStatus.READY).order_by("clip_name").values_list("clip_name", "status")
    blockers = [
        f"{clip}: clip is {status}; the export needs its file and model-view frames (process_videos)"
        for clip, status in not_ready
    ]
    no_frames = released.filter(status=VideoStatus.READY).exclude(model_view_indices__has_key=sft_export.FRAME_STRATEGY)
    blockers += [
        f"{clip}: no {sft_export.FRAME_STRATEGY} model-view frames; reprocess it"
        for clip in no_frames.order_by("clip_name").values_list("clip_name", flat=True)
    ]
    return blockers


def _flag_blockers(benchmark: Benchmark, released) -> list[str]:
    open_flags = QualityFlag.objects.filter(benchmark=benchmark, status=QualityFlag.Status.OPEN)
    rows = (
        open_flags.filter(caption__video__in=released)
        .order_by("caption__video__clip_name", "kind")
        .values_list("caption__video__clip_name", "kind")
    )
    blockers = [f"caption of {clip}: open flag {kind}; fix it or waive it with a reason" for clip, kind in rows]
    rows = (
        open_flags.filter(item__video__in=released, item__review_status=ReviewStatus.ACCEPTED)
        .order_by("item__qid", "kind")
        .values_list("item__qid", "kind")
    )
    blockers += [
        f"{qid}: open flag {kind} on an accepted QA item; fix it, waive it, or exclude the item" for qid, kind in rows
    ]
    blockers += [
        f"benchmark: open flag {kind} ({message}); fix it or waive it with a reason"
        for kind, message in open_flags.filter(item__isnull=True, caption__isnull=True)
        .order_by("kind")
        .values_list("kind", "message")
    ]
    return blockers


def train_release_write(*, benchmark: Benchmark, tag: str, notes: str, user, against: Sequence[Benchmark]) -> Release:
    """Freeze the accepted captions (the caller holds the release-cut mutex and has checked the blockers)."""
    last_event_id = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    release_id = reserved_ids(Release, 1)[0]
    video_ids = list(
        Video.objects.filter(benchmark=benchmark, caption__review_status=ReviewStatus.ACCEPTED)
        .order_by("clip_name")
        .values_list("pk", flat=True)
    )
    digests = {fmt: hashlib.sha256() for fmt in sft_export.FORMATS}
    task_counts: Counter = Counter()
    for start in range(0, len(video_ids), BATCH):
        rows = _frozen_clips(
            release_id, video_ids[start : start + BATCH], first_position=start + 1, last_event_id=last_event_id
        )
        for fmt, digest in digests.items():
            for chunk in sft_export.export_chunks(fmt, rows):
                digest.update(chunk)
        task_counts.update(qa["task"] for row in rows for qa in row.qa)
        insert_many(ReleaseClip, rows)
    export_sha256 = {fmt: digest.hexdigest() for fmt, digest in digests.items()}
    release = Release(
        pk=release_id,
        benchmark=benchmark,
        kind=Benchmark.Kind.TRAIN,
        tag=tag,
        notes=notes,
        created_by=user,
        created_at=timezone.now(),
        item_count=sum(task_counts.values()),
        task_counts=dict(sorted(task_counts.items())),
        clip_count=len(video_ids),
        disjoint_from=[b.name for b in against],
        last_event_id=last_event_id,
        export_sha256=export_sha256,
        sha256=export_sha256[sft_export.CANONICAL],
    )
    release.save(force_insert=True)
    return release


def _frozen_clips(
    release_id: int, video_ids: list[int], *, first_position: int, last_event_id: int
) -> list[ReleaseClip]:
    videos = Video.objects.in_bulk(video_ids)
    captions = {c.video_id: c for c in Caption.objects.filter(video_id__in=video_ids)}
    qa = defaultdict(list)
    items = QAItem.objects.filter(video_id__in=video_ids, review_status=ReviewStatus.ACCEPTED).order_by("qid")
    for item in items.only("video_id", "qid", "task", "question", "options", "answer", "version"):
        qa[item.video_id].append(
            {
                "qid": item.qid,
                "task": item.task,
                "question": item.question,
                "options": item.options,
                "answer": item.answer,
                "version": item.version,
            }
        )
    provenance = content_provenance(Caption.audit_kind, [c.pk for c in captions.values()], last_event_id)
    return [
        ReleaseClip(
            release_id=release_id,
            position=position,
            video_id=video_id,
            caption=captions[video_id],
            caption_version=captions[video_id].version,
            clip_name=videos[video_id].clip_name,
            participant_id=videos[video_id].participant_id,
            content=caption_snapshot(captions[video_id]),
            qa=qa[video_id],
            media=_media_snapshot(videos[video_id]),
            provenance=provenance[captions[video_id].pk],
        )
        for position, video_id in enumerate(video_ids, start=first_position)
    ]


def _media_snapshot(video: Video) -> dict:
    return {
        "file": video.file.name,
        "sha256": video.sha256,
        "size_bytes": video.size_bytes,
        "frames_manifest": video.frames_manifest,
        "model_view": video.model_view_indices,
    }
