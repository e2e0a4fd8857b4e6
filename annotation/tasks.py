"""Celery tasks: thin interfaces to the services. Workers acknowledge late, so a
killed worker's task is delivered again; every task here is safe to run twice.
Services send them by name through ``annotation.dispatch``, which holds the names."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from annotation.dispatch import (
    FINGERPRINT_VIDEO,
    GENERATE_CLIP_BATCH,
    PREDICT_CHUNK,
    PROCESS_VIDEO,
    RECONCILE_JOBS,
    RUN_IMPORT,
)
from annotation.services.baselines import chunk_predict, dispatch_next_chunk
from annotation.services.generation import clip_batch_generate, generation_finish, generation_next_batch_enqueue
from annotation.services.import_jobs import import_job_run, import_job_timed_out
from annotation.services.job_reconciliation import jobs_reconcile
from annotation.services.video_processing import video_fingerprint, video_process, video_processing_timed_out


@shared_task(name=FINGERPRINT_VIDEO)
def fingerprint_video(video_id: int) -> None:
    video_fingerprint(video_id=video_id)


@shared_task(name=PREDICT_CHUNK, acks_late=True)
def predict_chunk(chunk_id: int) -> None:
    run_id = chunk_predict(chunk_id)
    if run_id is not None:
        dispatch_next_chunk(run_id)


@shared_task(
    name=PROCESS_VIDEO,
    acks_late=True,
    reject_on_worker_lost=True,  # redelivered after SIGKILL/OOM; the service counts attempts and gives up
    soft_time_limit=settings.FRAMES_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.FRAMES_TASK_TIME_LIMIT,
)
def process_video(video_id: int, force: bool = False) -> str:
    try:
        return video_process(video_id=video_id, force=force).status
    except SoftTimeLimitExceeded:
        # The staging folder was removed as the exception unwound the pipeline.
        return video_processing_timed_out(video_id=video_id, seconds=settings.FRAMES_TASK_SOFT_TIME_LIMIT).status


@shared_task(name=GENERATE_CLIP_BATCH, acks_late=True)
def generate_clip_batch(run_id: int) -> None:
    """One batch of a generation run's clips; then the next batch of this chain, or the end of the run."""
    try:
        more = clip_batch_generate(run_id)
    except SoftTimeLimitExceeded:
        # The batch's clips stay claimed; the reconciler restarts the chain once such a claim counts as stale.
        return
    if more:
        generation_next_batch_enqueue(run_id)
    else:
        generation_finish(run_id)


@shared_task(name=RECONCILE_JOBS)
def reconcile_jobs() -> list[str]:
    """The beat's reconciler pass: sends what the broker refused and what has no live task."""
    return jobs_reconcile().lines()


@shared_task(
    name=RUN_IMPORT,
    acks_late=True,
    reject_on_worker_lost=True,  # redelivered after SIGKILL/OOM; the job counts attempts and gives up
    soft_time_limit=settings.IMPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
)
def run_import(job_id: int) -> str:
    try:
        job = import_job_run(job_id=job_id)
    except SoftTimeLimitExceeded:  # the import's transaction rolled back as the exception unwound it
        return import_job_timed_out(job_id=job_id, seconds=settings.IMPORT_TASK_SOFT_TIME_LIMIT).status
    # A job another delivery holds (or a killed worker held, its heartbeat still fresh) is left to it; the
    # reconciler sends it again once that heartbeat is stale (job_reconciliation.import_jobs_reconcile).
    return job.status
