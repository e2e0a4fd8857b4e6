"""The frame pipeline's service: status, attempts and results of processing one clip.

Status follows ``VIDEO_TRANSITIONS`` (pending -> processing -> ready / failed) and
changes only through ``change_audited``; probe and frame fields are derived and
written with plain updates. Each run counts an attempt in the database before it
starts, because a redelivery after a killed worker (``task_reject_on_worker_lost``)
is counted by nobody else; past ``FRAMES_MAX_ATTEMPTS`` the clip fails with that
reason. A fresh request (linking a file, the admin's retry, ``process_videos``)
resets the count.

The job's state is on the row: ``processing_requested_at`` says a run is owed (set with the
request, in its transaction; cleared when a run settles), and a run claims the clip with one
conditional UPDATE on ``heartbeat_at``, which a thread of the worker then beats every
``FRAMES_HEARTBEAT_SECONDS``. A second delivery while a live worker beats is skipped; a beat
older than ``FRAMES_HEARTBEAT_STALE_SECONDS`` means the worker died, and the reconciler
(``job_reconciliation.py``) sends the clip again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from annotation.dispatch import FINGERPRINT_VIDEO, PROCESS_VIDEO, enqueue_chains_on_commit
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
    """Record a run owed for these clips, each with a fresh attempt budget, and queue it after commit:
    frames first (the pipeline hashes the bytes it decodes), then the audited fingerprint. A broker that
    is down fails nothing: the work is recorded, and the reconciler sends it once the broker is back."""
    ids = list(video_ids)
    with transaction.atomic():
        Video.objects.filter(pk__in=ids).update(
            processing_attempts=0, processing_requested_at=timezone.now(), processing_force=force
        )
        video_processing_enqueue(video_ids=ids, force=force)
    return len(ids)


def queued_for_frames(count: int) -> str:
    """What a person is told once clips are requested: queued, whatever the broker's state."""
    return (
        f"Queued {count} clip{pluralize(count)} for the frame pipeline; the workers pick them up "
        "(while the broker is down they wait in the database and are sent once it is back)."
    )


def video_processing_enqueue(*, video_ids: Sequence[int], force: bool) -> None:
    """Send the pipeline chain of these clips after commit (the request's and the reconciler's one way)."""
    enqueue_chains_on_commit([((PROCESS_VIDEO, (pk, force)), (FINGERPRINT_VIDEO, (pk,))) for pk in video_ids])


def video_processing_run_here(*, video_id: int, force: bool = False) -> ProcessingOutcome:
    """A fresh request run in this process (the embedded default), in the order ``video_processing_request`` queues."""
    Video.objects.filter(pk=video_id).update(processing_attempts=0)
    outcome = video_process(video_id=video_id, force=force)
    if outcome.status != "skipped":
        video_fingerprint(video_id=video_id)
    return outcome


def video_process(*, video_id: int, force: bool = False) -> ProcessingOutcome:
    """Run the pipeline for one clip; a complete result for the same bytes and settings is kept unless ``force``.
    A clip another live worker is processing is skipped (a duplicate delivery, or a resend of the reconciler)."""
    video = Video.objects.get(pk=video_id)
    if not video.file:
        return _settled_without_run(video_id, "no clip file linked")
    skip = None if force else _skip_reason(video)
    if skip:
        return _settled_without_run(video_id, skip)
    claimed_at = _claim(video_id)
    if claimed_at is None:
        return ProcessingOutcome(video_id, "skipped", "another worker is processing this clip (its heartbeat is fresh)")
    attempts = Video.objects.values_list("processing_attempts", flat=True).get(pk=video_id)
    if attempts > settings.FRAMES_MAX_ATTEMPTS:
        return _fail(
            video_id,
            f"gave up after {attempts - 1} attempts: each run was interrupted (worker killed, "
            "out of memory or over the hard time limit) before it finished",
            claimed_at=claimed_at,
        )
    _to_processing(video_id, reason=f"frame pipeline: attempt {attempts}{' (forced)' if force else ''}")
    try:
        with _heartbeat(video_id):
            # django-stubs types FieldFile.name as str | None; Video.file is never null
            outputs = _run(video_id, video.file.name, force=force)  # type: ignore[arg-type]
    except ClipFailure as failure:
        return _fail(video_id, str(failure), claimed_at=claimed_at)
    except SoftTimeLimitExceeded:
        raise  # the task records it; the staging folder is already gone
    except Exception as error:  # a bug or an outage must not leave the clip "processing"
        log.exception("frame pipeline: video %s", video_id)
        return _fail(
            video_id, f"internal error ({type(error).__name__}: {error}); see the worker log", claimed_at=claimed_at
        )
    return _ready(video_id, outputs, claimed_at=claimed_at)


def video_heartbeat_stale_before() -> datetime:
    """A processing clip whose heartbeat is older than this has no live worker."""
    return timezone.now() - timedelta(seconds=settings.FRAMES_HEARTBEAT_STALE_SECONDS)


def video_dead_worker_staging_remove(*, video_id: int) -> None:
    """Remove the staging a dead worker left for this clip (its heartbeat is stale, so its staging is at least
    that old); a run that claimed the clip since stages in a folder younger than that, which is kept."""
    keep = Video.objects.values_list("frames_manifest", flat=True).get(pk=video_id).rsplit("/", 1)[0] or None
    prune_video_folder(video_id=video_id, keep=keep, stale_seconds=settings.FRAMES_HEARTBEAT_STALE_SECONDS)


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


def _claim(video_id: int) -> datetime | None:
    """Claim the clip for this run and count an attempt, in one conditional UPDATE: won only when no live worker
    beats its heartbeat. Returns the claim's time, or None when another worker has it."""
    now = timezone.now()
    free = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=video_heartbeat_stale_before())
    won = Video.objects.filter(free, pk=video_id).update(
        heartbeat_at=now, processing_attempts=F("processing_attempts") + 1
    )
    return now if won else None


@contextmanager
def _heartbeat(video_id: int) -> Iterator[None]:
    """Beat the clip's heartbeat from a thread (on its own database connection) while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.FRAMES_HEARTBEAT_SECONDS):
                try:
                    Video.objects.filter(pk=video_id, heartbeat_at__isnull=False).update(heartbeat_at=timezone.now())
                except Exception:  # noqa: BLE001 - one missed beat; the next one may get through
                    log.exception("frame pipeline: heartbeat of video %s", video_id)
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-video-{video_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _released(video_id: int, *, claimed_at: datetime | None) -> dict:
    """Fields that end the job in the settling UPDATE: no claim; nothing owed unless requested after this run began."""
    Video.objects.filter(pk=video_id, processing_requested_at__lte=claimed_at or timezone.now()).update(
        processing_requested_at=None, processing_force=False
    )
    return {"heartbeat_at": None}


def _settled_without_run(video_id: int, detail: str) -> ProcessingOutcome:
    """Nothing to run (no file, complete, failed earlier): what was owed is settled."""
    Video.objects.filter(pk=video_id, processing_requested_at__lte=timezone.now()).update(
        processing_requested_at=None, processing_force=False
    )
    return ProcessingOutcome(video_id, "skipped", detail)


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


def _ready(video_id: int, outputs: ClipOutputs, *, claimed_at: datetime) -> ProcessingOutcome:
    with transaction.atomic():
        released = _released(video_id, claimed_at=claimed_at)
        Video.objects.filter(pk=video_id).update(**outputs.db_fields(), **released, processed_at=timezone.now())
        _set_status(video_id, {"status": V.READY, "error": ""}, "frame pipeline: done")
    _prune(video_id, keep=outputs.folder)
    frames = outputs.manifest["frame_count"]
    return ProcessingOutcome(
        video_id, "ready", f"{frames} frames{' (kept the complete outputs found)' if outputs.reused else ''}"
    )


def _fail(video_id: int, error: str, *, claimed_at: datetime | None = None) -> ProcessingOutcome:
    with transaction.atomic():
        _to_processing(video_id, reason="frame pipeline: giving up")
        released = _released(video_id, claimed_at=claimed_at)
        Video.objects.filter(pk=video_id).update(**CLEARED_OUTPUTS, **released, processed_at=timezone.now())
        _set_status(video_id, {"status": V.FAILED, "error": error}, "frame pipeline: failed")
    _prune(video_id, keep=None)
    return ProcessingOutcome(video_id, "failed", error)


def _prune(video_id: int, *, keep: str | None) -> None:
    prune_video_folder(video_id=video_id, keep=keep, stale_seconds=settings.FRAMES_STALE_STAGING_SECONDS)
