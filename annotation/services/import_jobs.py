"""Imports as background jobs: the upload is stored (default storage: local disk or a bucket), an ImportJob row
records it, and a worker validates and writes it (``benchmark_import``), recording progress on the row.

The job's row is its whole state. A worker claims it with one conditional UPDATE (queued, or running with a
heartbeat older than ``IMPORT_STALE_SECONDS``: a lost worker's), so a duplicate delivery does nothing. The write
is one transaction: a job stopped midway wrote nothing and may simply run again. To dispatch again a job without
a live task (a reconciler's work): ``import_job_redispatch(job_id=...)`` for each of ``import_jobs_without_task()``.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from annotation.dispatch import RUN_IMPORT, enqueue_on_commit
from annotation.domain.transitions import IMPORT_JOB_TRANSITIONS
from annotation.errors import InvalidInput
from annotation.importing.problems import ImportRejected
from annotation.models import ImportJob

from .importing import ImportProgress, ProgressReport, StoredImportFile, benchmark_import

logger = logging.getLogger(__name__)
Status = ImportJob.Status
PROGRESS_SECONDS = 1.0  # at most one progress write per second
STORAGE_FOLDER = "imports"


def import_job_create(
    *,
    benchmark_name: str,
    source: str = "",
    questions: File | None = None,
    captions: File | None = None,
    videos_dir: Path | None = None,
    dry_run: bool = False,
    kind: str | None = None,
    user=None,
    run_here: bool = False,
) -> ImportJob:
    """Store the files and record the job; a worker is sent it once this commits (unless ``run_here``: the caller
    runs it with ``import_job_run``, as the command does where tasks run in-process)."""
    if questions is None and captions is None and videos_dir is None:
        raise InvalidInput(
            "nothing to import: give a question file, a caption file or a clip folder", field="questions"
        )
    first = questions or captions
    folder = f"{STORAGE_FOLDER}/{uuid.uuid4().hex}"
    job = ImportJob(
        benchmark_name=benchmark_name,
        kind=kind or "",
        source=source or (f"upload of {Path(str(first.name)).name}" if first else f"import of {videos_dir}"),
        dry_run=dry_run,
        videos_dir=str(videos_dir or ""),
        created_by=user,
    )
    for attr, upload in (("questions", questions), ("captions", captions)):
        if upload is not None:
            setattr(job, f"{attr}_name", str(upload.name))
            setattr(job, f"{attr}_file", default_storage.save(f"{folder}/{Path(str(upload.name)).name}", upload))
            job.bytes_total += upload.size or 0
    with transaction.atomic():
        job.save()
        if not run_here:
            enqueue_on_commit(RUN_IMPORT, job.pk)
    return job


def import_job_run(*, job_id: int, report: ProgressReport | None = None) -> ImportJob:
    """Run the job if this caller can claim it (else leave it to whoever has it); ``report`` also sees progress."""
    job = _claimed(job_id)
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    if job.attempts > settings.IMPORT_MAX_ATTEMPTS:
        return _finish(job, Status.FAILED, error=f"gave up after {job.attempts - 1} attempts that did not finish")
    writer = _ProgressWriter(job.pk, report)
    try:
        summary = benchmark_import(
            benchmark_name=job.benchmark_name,
            source=job.source,
            questions=_stored(job.questions_name, job.questions_file),
            captions=_stored(job.captions_name, job.captions_file),
            videos_dir=Path(job.videos_dir) if job.videos_dir else None,
            dry_run=job.dry_run,
            user=job.created_by,
            kind=job.kind or None,
            progress=writer,
        )
    except ImportRejected as rejected:
        writer.close()
        return _finish(job, Status.REJECTED, rejected=rejected)
    except SoftTimeLimitExceeded:
        writer.close()
        raise
    except Exception as error:  # noqa: BLE001 - whatever stopped it is recorded on the job, which then fails
        writer.close()
        logger.exception("import job %s failed", job.pk)
        return _finish(job, Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000])
    writer.close()
    return _finish(job, Status.DONE, summary=summary.as_dict(), rows_written=writer.rows_written)


def import_job_timed_out(*, job_id: int, seconds: int) -> ImportJob:
    job = ImportJob.objects.get(pk=job_id)
    return _finish(
        job, Status.FAILED, error=f"stopped after {seconds} s (IMPORT_TASK_SOFT_TIME_LIMIT); nothing written"
    )


def import_jobs_without_task() -> QuerySet[ImportJob]:
    """Jobs that no worker is on: queued (sent, or never sent because the broker was down) and running without
    a heartbeat for ``IMPORT_STALE_SECONDS``. A queued job may still have its message in the broker: sending it
    again is harmless, as only one delivery claims it."""
    return ImportJob.objects.filter(Q(status=Status.QUEUED) | _stale_running())


def import_job_redispatch(*, job_id: int) -> bool:
    """Send a job without a live task to the workers again (after commit); returns whether it was sent.
    A stale running job goes back to queued first; a finished one is left alone (a failed one: retry it with
    ``import_job_retry``)."""
    with transaction.atomic():
        stale = ImportJob.objects.filter(_stale_running(), pk=job_id)
        for job in stale.select_for_update(no_key=True):
            IMPORT_JOB_TRANSITIONS.check(target=str(job), current=job.status, requested=Status.QUEUED)
            job.status = Status.QUEUED
            job.save(update_fields=["status"])
        if not ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).exists():
            return False
        enqueue_on_commit(RUN_IMPORT, job_id)
    return True


def import_job_retry(*, job_id: int) -> ImportJob:
    """Queue a failed job again (its files are kept until it is done or rejected)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(no_key=True).get(pk=job_id)
        IMPORT_JOB_TRANSITIONS.check(target=str(job), current=job.status, requested=Status.QUEUED)
        job.status, job.attempts, job.error, job.finished_at = Status.QUEUED, 0, "", None
        job.save(update_fields=["status", "attempts", "error", "finished_at"])
        enqueue_on_commit(RUN_IMPORT, job.pk)
    return job


def _stale_running() -> Q:
    stale = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    return Q(status__in=ImportJob.RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))


def _claimed(job_id: int) -> ImportJob | None:
    """The job, claimed by this caller (now validating, one more attempt), or None when another has it or it is
    finished."""
    now = timezone.now()
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not (job.status == Status.QUEUED or job.status in ImportJob.RUNNING):
        return None
    IMPORT_JOB_TRANSITIONS.check(target=str(job), current=job.status, requested=Status.VALIDATING)
    claimable = Q(status=Status.QUEUED) | _stale_running()
    won = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=Status.VALIDATING,
        attempts=job.attempts + 1,
        started_at=now,
        heartbeat_at=now,
        bytes_read=0,
        rows_read=0,
        problem_count=0,
        rows_written=0,
    )
    return ImportJob.objects.get(pk=job_id) if won else None


def _stored(name: str, storage_name: str) -> StoredImportFile | None:
    return StoredImportFile(name=name, storage_name=storage_name) if storage_name else None


def _finish(
    job: ImportJob,
    status: str,
    *,
    rejected: ImportRejected | None = None,
    summary: dict | None = None,
    rows_written: int = 0,
    error: str = "",
) -> ImportJob:
    job.refresh_from_db()
    IMPORT_JOB_TRANSITIONS.check(target=str(job), current=job.status, requested=status)
    job.status, job.error, job.finished_at, job.heartbeat_at = status, error, timezone.now(), timezone.now()
    if rejected is not None:
        job.problems = [p.as_dict() for p in rejected.problems]
        job.problems_by_kind, job.problem_count = rejected.by_kind, rejected.count
    if summary is not None:
        job.summary, job.rows_written = summary, rows_written
    job.save()
    if status in (Status.DONE, Status.REJECTED):  # a failed job keeps its files, to be retried
        for name in (job.questions_file, job.captions_file):
            if name:
                default_storage.delete(name)
    return job


class _ProgressWriter:
    """The ``progress`` of ``benchmark_import``: passes it to ``report`` and writes it, with a heartbeat, to the
    job's row at most every ``PROGRESS_SECONDS``. The writing happens inside the import's transaction, which
    would hold it back from anyone polling: on PostgreSQL it goes through a thread of its own (its own
    connection, committing at once); on SQLite, which has one writer at a time, only outside that transaction."""

    def __init__(self, job_id: int, report: ProgressReport | None):
        self.job_id, self.report = job_id, report
        self.rows_written, self.phase, self.last = 0, "validating", 0.0
        self.pool = ThreadPoolExecutor(max_workers=1) if connection.vendor == "postgresql" else None
        self.pending: Future | None = None
        self.latest: dict | None = None

    def __call__(self, progress: ImportProgress) -> None:
        if self.report is not None:
            self.report(progress)
        self.rows_written = progress.rows_written
        self.latest = {
            "status": Status.WRITING if progress.phase == "writing" else Status.VALIDATING,
            "bytes_total": progress.bytes_total,
            "bytes_read": progress.bytes_read,
            "rows_read": progress.rows_read,
            "problem_count": progress.problems,
            "rows_written": progress.rows_written,
        }
        now, new_phase = time.monotonic(), progress.phase != self.phase
        if not new_phase and now - self.last < PROGRESS_SECONDS:
            return
        self.phase, self.last = progress.phase, now
        if self.pool is not None:
            if new_phase and self.pending is not None:
                self.pending.result()  # a phase is never skipped
            if new_phase or self.pending is None or self.pending.done():  # else a slow write is not queued behind
                self.pending = self.pool.submit(_progress_write, self.job_id, dict(self.latest))
        elif not connection.in_atomic_block:
            _progress_write(self.job_id, self.latest)

    def close(self) -> None:
        """Stop the thread; write the last progress from here (the import's transaction is over)."""
        if self.pool is not None:
            self.pool.submit(lambda: connection.close())  # the thread's own connection (looked up in the thread)
            self.pool.shutdown(wait=True)
            self.pool = None
        if self.latest is not None:
            _progress_write(self.job_id, self.latest)


def _progress_write(job_id: int, values: dict) -> None:
    ImportJob.objects.filter(pk=job_id, status__in=ImportJob.RUNNING).update(**values, heartbeat_at=timezone.now())
