import json
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import CommandError

from annotation.dispatch import tasks_run_in_process
from annotation.domain.plurals import counted
from annotation.errors import InvalidInput
from annotation.importing.problems import Problem
from annotation.management.data_command import DataCommand
from annotation.models import ImportJob
from annotation.services.import_jobs import import_job_create, import_job_run
from annotation.services.importing import ImportProgress
from annotation.services.video_processing import queued_for_frames

POLL_SECONDS = 1


class Command(DataCommand):
    help = (
        "Import machine-generated MA-Bench questions (JSON array or JSONL, published row shape) and/or structured "
        "captions (annotation/schemas/caption.schema.json) into a benchmark; link clip files by name. The files are "
        "stored and imported as a job (by a worker, or here where tasks run in-process); progress goes to stderr and "
        "the JSON summary to stdout. With any error nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, help="question file (.json or .jsonl)")
        parser.add_argument("--benchmark", required=True, help="benchmark name; created when new")
        parser.add_argument("--captions", type=Path, help="structured caption file (.json or .jsonl)")
        parser.add_argument("--videos", type=Path, help="folder of clip files named <clip>.mp4 to link")
        parser.add_argument("--source", help="generator name and version (default: the file name)")
        parser.add_argument("--user", help="username of the person importing (recorded in the audit trail)")
        parser.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
        parser.add_argument(
            "--kind",
            choices=("eval", "train"),
            help="kind of a new benchmark (default eval); must match an existing one's",
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="import in this process, not on a worker (the default where tasks run in-process)",
        )
        parser.add_argument(
            "--no-wait",
            dest="wait",
            action="store_false",
            help="with workers: print the job's id and return at once (default: follow it and print the result)",
        )

    def handle(
        self, *args, path, benchmark, captions, videos, source, user, dry_run, kind, in_process, wait, **options
    ):
        if videos is not None and not videos.is_dir():
            raise CommandError(f"{videos}: clip folder not found")
        here = in_process or tasks_run_in_process()
        files = [self._opened(p) for p in (path, captions)]
        try:
            job = import_job_create(
                benchmark_name=benchmark,
                source=source or f"import of {(path or captions or videos).name}",
                questions=files[0],
                captions=files[1],
                videos_dir=videos.resolve() if videos else None,
                dry_run=dry_run,
                kind=kind,
                user=self._user(user),
                run_here=here,
            )
        except InvalidInput as error:
            raise CommandError(str(error)) from None
        finally:
            for file in files:
                if file is not None:
                    file.close()
        if here:
            job = import_job_run(job_id=job.pk, report=self._progress_line)
        elif not wait:
            self.stdout.write(json.dumps({"job": job.pk, "status": job.status}))
            return
        else:
            job = self._follow(job)
        self._result(job)

    def _opened(self, path: Path | None) -> File | None:
        if path is None:
            return None
        try:
            return File(path.open("rb"), name=str(path))
        except OSError as error:
            raise CommandError(f"{path}: cannot read: {error.strerror}") from None

    def _progress_line(self, progress: ImportProgress) -> None:
        self.stderr.write(
            f"import {progress.phase}: {progress.rows_read} rows read, {progress.problems} problems, "
            f"{progress.rows_written} rows written"
        )

    def _follow(self, job: ImportJob) -> ImportJob:
        self.stderr.write(f"import job {job.pk} queued")
        while not job.is_finished:
            time.sleep(POLL_SECONDS)
            job.refresh_from_db()
            self.stderr.write(
                f"import {job.status}: {job.rows_read} rows read, {job.problem_count} problems, "
                f"{job.rows_written} rows written ({job.percent} %)"
            )
        return job

    def _result(self, job: ImportJob) -> None:
        if job.status == ImportJob.Status.REJECTED:
            listed = "\n".join(f"  {Problem(**p)}" for p in job.problems[:50])
            more = f"\n  ... and {job.problem_count - 50} more" if job.problem_count > 50 else ""
            by_kind = ", ".join(f"{kind} {n}" for kind, n in sorted(job.problems_by_kind.items()))
            raise CommandError(
                f"{counted(job.problem_count, 'problem')}; nothing was imported. By kind: {by_kind}.\n{listed}{more}"
            )
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(f"import job {job.pk} failed: {job.error}")
        self.stdout.write(json.dumps(job.summary, indent=2))
        linked = job.summary.get("videos_linked", 0)
        if linked and not job.summary.get("dry_run"):
            self.stderr.write(queued_for_frames(linked))

    def _user(self, username: str | None):
        if username is None:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user {username}: no such user")
        return user
