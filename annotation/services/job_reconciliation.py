"""The reconciler: what makes a broker outage or a killed worker lose nothing.

Run periodically (Celery beat's ``annotation.reconcile_jobs``, every ``RECONCILE_INTERVAL_SECONDS``) and by
``python manage.py reconcile_jobs``. One pass first sends the outbox (messages the broker refused); if the
broker still refuses, it stops there. Then each job kind in ``JOB_RECONCILERS`` sends again the work of its
job tables that has no live task:

- clips owed a frame run: a worker whose heartbeat went stale (it died mid-clip; its staging is removed),
  or a message that is nowhere (the frames queue is empty, the run is still owed after the grace time);
- baseline chunks: a claim that outlived the hard time limit, a queued chunk whose message is nowhere, and
  chains that stopped (fewer chunks in flight than ``BASELINE_PARALLEL_CHUNKS`` while chunks are pending);
- generation batches: a run with clips to generate, no live claim, nothing queued and no batch queued
  within the grace time.

Every task claims its job row before working (a conditional UPDATE), so a resend of work that is in fact
still running, or sent twice by two reconcilers, does nothing. Attempt limits stay with the tasks: a
resent clip counts an attempt, and past ``FRAMES_MAX_ATTEMPTS`` it fails saying so.

- imports: a job whose worker's heartbeat went stale, or a queued job whose message is nowhere.

A new job kind registers a function in ``JOB_RECONCILERS`` that returns how many units it sent again. Its messages already survive a broker outage when it dispatches
with ``annotation.dispatch.enqueue_on_commit``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from annotation.dispatch import (
    GENERATE_CLIP_BATCH,
    PREDICT_CHUNK,
    PROCESS_VIDEO,
    RUN_IMPORT,
    enqueue_on_commit,
    outbox_flush,
    waiting_messages,
)
from annotation.domain.transitions import VideoStatus
from annotation.models import BaselineRun, GeneratedClip, GenerationRun, ImportJob, RunChunk, Video

from .baselines import dispatch_next_chunk
from .generation import dispatch_generation, generation_finish
from .import_jobs import import_job_redispatch, import_jobs_without_task
from .video_processing import video_dead_worker_staging_remove, video_heartbeat_stale_before, video_processing_enqueue

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    outbox_sent: int = 0
    outbox_left: int = 0
    broker_down: bool = False
    resent: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [f"outbox: {self.outbox_sent} sent, {self.outbox_left} left unsent"]
        if self.broker_down:
            lines.append("the broker refused a message: nothing else was sent; the next pass tries again")
        lines += [f"{kind}: {count} sent again" for kind, count in self.resent.items()]
        return lines


def jobs_reconcile() -> ReconcileReport:
    """One reconciler pass (see the module docstring)."""
    report = ReconcileReport()
    flushed = outbox_flush()
    report.outbox_sent, report.outbox_left, report.broker_down = flushed.sent, flushed.left, flushed.refused
    if report.broker_down:
        return report
    for kind, reconcile in JOB_RECONCILERS.items():
        report.resent[kind] = reconcile()
    if any(report.resent.values()):
        log.info("reconciler: %s", "; ".join(report.lines()))
    return report


def _grace_cutoff():
    return timezone.now() - timedelta(seconds=settings.RECONCILE_GRACE_SECONDS)


def _queue_empty(task_name: str) -> bool:
    """No message of this kind waits in its queue, so owed work that no worker claimed has lost its message."""
    return waiting_messages(task_name) == 0


# --- clips (the frame pipeline) --------------------------------------------------------------------


def clips_reconcile() -> int:
    """Send again the clips of dead workers and the owed clips whose message is nowhere."""
    now = timezone.now()
    linked = Video.objects.exclude(file="")
    dead = list(
        linked.filter(status=VideoStatus.PROCESSING, heartbeat_at__lt=video_heartbeat_stale_before()).values_list(
            "pk", "processing_force"
        )
    )
    lost: list[tuple[int, bool]] = []
    if _queue_empty(PROCESS_VIDEO):
        lost = list(
            linked.filter(processing_requested_at__lt=_grace_cutoff(), heartbeat_at__isnull=True)
            .exclude(pk__in=[pk for pk, _ in dead])
            .values_list("pk", "processing_force")
        )
    for pk, _ in dead:
        video_dead_worker_staging_remove(video_id=pk)
    for force in (False, True):
        ids = [pk for pk, forced in dead + lost if forced == force]
        if not ids:
            continue
        with transaction.atomic():
            # heartbeat cleared: the resent run may claim it; the request time restarts the grace time, after
            # which a clip still unclaimed while its queue is empty counts as lost (and is sent again)
            Video.objects.filter(pk__in=ids).update(heartbeat_at=None, processing_requested_at=now)
            video_processing_enqueue(video_ids=ids, force=force)
    return len(dead) + len(lost)


# --- baseline chunks ---------------------------------------------------------------------------------


def baseline_chunks_reconcile() -> int:
    resent = 0
    lost_possible = _queue_empty(PREDICT_CHUNK)
    for run_id in BaselineRun.objects.filter(status=BaselineRun.Status.RUNNING).values_list("pk", flat=True):
        resent += _baseline_run_reconcile(run_id, lost_possible=lost_possible)
    return resent


def _baseline_run_reconcile(run_id: int, *, lost_possible: bool) -> int:
    chunks = RunChunk.objects.filter(run_id=run_id)
    stuck = RunChunk.claim_outlived()  # its worker was killed: no chunk outlives the hard time limit alive
    if lost_possible:
        stuck |= Q(status=RunChunk.Status.QUEUED, queued_at__lt=_grace_cutoff())
        stuck |= Q(status=RunChunk.Status.QUEUED, queued_at__isnull=True)
    ids = list(chunks.filter(stuck).values_list("pk", flat=True))
    with transaction.atomic():
        resent = chunks.filter(stuck, pk__in=ids).update(status=RunChunk.Status.QUEUED, queued_at=timezone.now())
        for chunk_id in ids:
            enqueue_on_commit(PREDICT_CHUNK, chunk_id)
    in_flight = chunks.filter(status__in=[RunChunk.Status.QUEUED, RunChunk.Status.RUNNING]).count()
    pending = chunks.filter(status=RunChunk.Status.PENDING).count()
    stopped = min(pending, max(0, settings.BASELINE_PARALLEL_CHUNKS - in_flight))
    for _ in range(stopped):
        dispatch_next_chunk(run_id)  # a chain that stopped (its next message was never sent)
    if not in_flight and not pending:
        dispatch_next_chunk(run_id)  # every chunk done but the run not finished: this finishes it
    return resent + stopped


# --- generation batches ------------------------------------------------------------------------------


def generation_batches_reconcile() -> int:
    if not _queue_empty(GENERATE_CLIP_BATCH):
        return 0  # a batch message waits: its chain is alive
    resent = 0
    cutoff = _grace_cutoff()
    stale_claim = GeneratedClip.claim_outlived()
    for run in GenerationRun.objects.filter(status=GenerationRun.Status.RUNNING):
        clips = run.clips.all()
        if clips.filter(status=GeneratedClip.Status.RUNNING).exclude(stale_claim).exists():
            continue  # a live claim: its chain queues the next batch
        if not clips.filter(Q(status=GeneratedClip.Status.PENDING) | stale_claim).exists():
            generation_finish(run.pk)
            continue
        activity = clips.aggregate(claimed=Max("claimed_at"), finished=Max("finished_at"))
        last = max(t for t in (*activity.values(), run.batch_queued_at, run.created_at) if t is not None)
        if last < cutoff:
            dispatch_generation(run.pk)
            resent += 1
    return resent


# --- imports -----------------------------------------------------------------------------------------


def import_jobs_reconcile() -> int:
    """Send again the import jobs of dead workers (no heartbeat for IMPORT_STALE_SECONDS), and queued jobs
    whose message is nowhere (still queued after the grace time while the imports queue is empty)."""
    lost_possible = _queue_empty(RUN_IMPORT)
    sent = 0
    for job in import_jobs_without_task().only("pk", "status", "created_at"):
        waiting = job.status == ImportJob.Status.QUEUED
        if waiting and not (lost_possible and job.created_at < _grace_cutoff()):
            continue
        sent += import_job_redispatch(job_id=job.pk)
    return sent


JOB_RECONCILERS: dict[str, Callable[[], int]] = {
    "clips": clips_reconcile,
    "baseline chunks": baseline_chunks_reconcile,
    "generation batches": generation_batches_reconcile,
    "imports": import_jobs_reconcile,
}
