"""Following a resumable machine job (a baseline or generation run) from a management command:
a progress line every few seconds until the job is done or failed."""

import time

from annotation.models.jobs import ResumableJob

FINISHED = ("done", "failed")  # the end states of every ResumableJob's status
POLL_SECONDS = 2


def follow_job(job: ResumableJob, *, stdout, label: str, unit: str, poll_seconds: float = POLL_SECONDS) -> None:
    """Write ``label: done/total unit, N errors (status)`` to ``stdout`` (a command's), reading the job
    again every ``poll_seconds``, until it is finished."""
    while True:
        job.refresh_from_db()
        stdout.write(f"{label}: {job.done}/{job.total} {unit}, {job.errors} errors ({job.status})")
        if job.status in FINISHED:
            return
        time.sleep(poll_seconds)
