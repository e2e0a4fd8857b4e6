"""The frame pipeline's service: status, attempts and results of processing one clip.

Status follows ``VIDEO_TRANSITIONS`` (pending -> processing -> ready / failed) and
changes only through ``change_audited``; probe and frame fields are derived and
written with plain updates. Each run counts an attempt in the database before it
starts, because a redelivery after a killed worker (``task_reject_on_worker_lost``)
is counted by nobody else; past ``FRAMES_MAX_ATTEMPTS`` the clip fails with that
reason. A fresh request (linking a file, the admin's retry, ``process_videos``)
resets the count.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotation.dispatch import FINGERPRINT_VIDEO, PROCESS_VIDEO, enqueue_chain_on_commit
from annotation.domain.transitions import VideoStatus
from annotation.frames.manifest import manifest_matches
from annotation.frames.options import FrameOptions
from annotation.frames.outputs import local_source, prune_video_folder, read_manifest, stored_sha256
from annotation.frames.pipeline import ClipOutputs, produce_outputs
from annotation.frames.probe import ClipFailure, opened_clip
from annotation.media_storage import read_chunks
from annotation.models import Video

from .audited_writes import Actor, change_audited

PROCESSING_SOURCE = "mabench-review frame pipeline"
FINGERPRINT_SOURCE = "mabench-review fingerprint worker"
ACTOR = Actor.machine(PROCESSING_SOURCE)
V = VideoStatus
log = logging.getLogger(__name__)

CLEARED_OUTPUTS = {"frames_manifest": "", "scrub_stride": 1, "model_view_indices": {}, "proxy_file": ""}


@dataclass(frozen=True)
class ProcessingOutcome:
    video_id: int
    status: str  # ready, failed or skipped
    detail: str


def video_processing_request(*, video_ids: Sequence[int], force: bool = False) -> int:
    """Queue the frame pipeline for these clips after commit, each with a fresh attempt budget:
    frames first (the pipeline hashes the bytes it decodes), then the audited fingerprint."""
    ids = list(video_ids)
    with transaction.atomic():
        Video.objects.filter(pk__in=ids).update(processing_attempts=0)
        for video_id in ids:
            enqueue_chain_on_commit((PROCESS_VIDEO, (video_id, force)), (FINGERPRINT_VIDEO, (video_id,)))
    return len(ids)


def video_processing_run_here(*, video_id: int, force: bool = False) -> ProcessingOutcome:
    """A fresh request run in this process (the embedded default), in the order ``video_processing_request`` queues."""
    Video.objects.filter(pk=video_id).update(processing_attempts=0)
    outcome = video_process(video_id=video_id, force=force)
    if outcome.status != "skipped":
        video_fingerprint(video_id=video_id)
    return outcome


def video_process(*, video_id: int, force: bool = False) -> ProcessingOutcome:
    """Run the pipeline for one clip; a complete result for the same bytes and settings is kept unless ``force``."""
    video = Video.objects.get(pk=video_id)
    if not video.file:
        return ProcessingOutcome(video_id, "skipped", "no clip file linked")
    skip = None if force else _skip_reason(video)
    if skip:
        return ProcessingOutcome(video_id, "skipped", skip)
    attempts = _count_attempt(video_id)
    if attempts > settings.FRAMES_MAX_ATTEMPTS:
        return _fail(
            video_id,
            f"gave up after {attempts - 1} attempts: each run was interrupted (worker killed, "
            "out of memory or over the hard time limit) before it finished",
        )
    _to_processing(video_id, reason=f"frame pipeline: attempt {attempts}{' (forced)' if force else ''}")
    try:
        # django-stubs types FieldFile.name as str | None; Video.file is never null
        outputs = _run(video_id, video.file.name, force=force)  # type: ignore[arg-type]
    except ClipFailure as failure:
        return _fail(video_id, str(failure))
    except SoftTimeLimitExceeded:
        raise  # the task records it; the staging folder is already gone
    except Exception as error:  # a bug or an outage must not leave the clip "processing"
        log.exception("frame pipeline: video %s", video_id)
        return _fail(video_id, f"internal error ({type(error).__name__}: {error}); see the worker log")
    return _ready(video_id, outputs)


def video_fingerprint(*, video_id: int) -> Video:
    """Record the sha256 and size of the stored clip file."""
    video = Video.objects.get(pk=video_id)
    digest, size = hashlib.sha256(), 0
    # django-stubs types FieldFile.name as str | None; Video.file is never null
    for chunk in read_chunks(default_storage, video.file.name):  # type: ignore[arg-type]
        digest.update(chunk)
        size += len(chunk)
    return change_audited(
        model=Video,
        pk=video_id,
        actor=Actor.machine(FINGERPRINT_SOURCE),
        expected_version=None,
        changes={"sha256": digest.hexdigest(), "size_bytes": size},
    )


def video_processing_timed_out(*, video_id: int, seconds: int) -> ProcessingOutcome:
    return _fail(video_id, f"took longer than the soft time limit of {seconds} s (FRAMES_TASK_SOFT_TIME_LIMIT)")


def _skip_reason(video: Video) -> str | None:
    if video.status == V.FAILED:
        return f"failed earlier ({video.error}); retry it from the admin or with --force"
    if video.status != V.READY:
        return None
    # django-stubs types FieldFile.name as str | None; Video.file is never null
    sha256 = video.sha256 or stored_sha256(video.file.name)  # type: ignore[arg-type]
    if manifest_matches(read_manifest(video.frames_manifest), sha256=sha256, options=FrameOptions.from_settings()):
        return "frames complete for this file and these settings"
    return None


def _count_attempt(video_id: int) -> int:
    Video.objects.filter(pk=video_id).update(processing_attempts=F("processing_attempts") + 1)
    return Video.objects.values_list("processing_attempts", flat=True).get(pk=video_id)


def _run(video_id: int, file_name: str, *, force: bool) -> ClipOutputs:
    options = FrameOptions.from_settings()
    with local_source(file_name) as source, opened_clip(source.path, max_pixels=options.max_pixels) as clip:
        Video.objects.filter(pk=video_id).update(**clip.probe.db_fields())
        return produce_outputs(video_id=video_id, source=source, clip=clip, options=options, force=force)


def _to_processing(video_id: int, *, reason: str) -> None:
    """Walk the transition map to processing: ready and failed go back through pending."""
    status = Video.objects.values_list("status", flat=True).get(pk=video_id)
    if status in (V.READY, V.FAILED):
        _set_status(
            video_id, {"status": V.PENDING}, "frame pipeline: " + ("reprocess" if status == V.READY else "retry")
        )
    _set_status(video_id, {"status": V.PROCESSING}, reason)


def _set_status(video_id: int, changes: dict, reason: str) -> None:
    change_audited(model=Video, pk=video_id, actor=ACTOR, changes=changes, expected_version=None, reason=reason)


def _ready(video_id: int, outputs: ClipOutputs) -> ProcessingOutcome:
    with transaction.atomic():
        Video.objects.filter(pk=video_id).update(**outputs.db_fields(), processed_at=timezone.now())
        _set_status(video_id, {"status": V.READY, "error": ""}, "frame pipeline: done")
    _prune(video_id, keep=outputs.folder)
    frames = outputs.manifest["frame_count"]
    return ProcessingOutcome(
        video_id, "ready", f"{frames} frames{' (kept the complete outputs found)' if outputs.reused else ''}"
    )


def _fail(video_id: int, error: str) -> ProcessingOutcome:
    with transaction.atomic():
        _to_processing(video_id, reason="frame pipeline: giving up")
        Video.objects.filter(pk=video_id).update(**CLEARED_OUTPUTS, processed_at=timezone.now())
        _set_status(video_id, {"status": V.FAILED, "error": error}, "frame pipeline: failed")
    _prune(video_id, keep=None)
    return ProcessingOutcome(video_id, "failed", error)


def _prune(video_id: int, *, keep: str | None) -> None:
    prune_video_folder(video_id=video_id, keep=keep, stale_seconds=settings.FRAMES_STALE_STAGING_SECONDS)
