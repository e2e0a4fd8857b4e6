"""Background imports: the uploaded files (in the default storage), where the job is, and what it found."""

from django.conf import settings as django_settings
from django.db import models

from annotation.domain.transitions import ImportJobStatus


class ImportJob(models.Model):
    """One import of a question file and/or a caption file, run by a worker. Its state is all a reconciler needs
    to dispatch it again: a job that is queued, or running without a recent ``heartbeat_at``, has no live task."""

    Status = ImportJobStatus
    RUNNING = (Status.VALIDATING, Status.WRITING)
    FINISHED = (Status.DONE, Status.REJECTED, Status.FAILED)

    benchmark_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, blank=True, help_text="eval or train for a new benchmark; empty: eval")
    source = models.CharField(max_length=200, help_text="Machine source named in the audit trail")
    dry_run = models.BooleanField(default=False)
    questions_name = models.CharField(max_length=255, blank=True, help_text="The question file's name, as uploaded")
    questions_file = models.CharField(max_length=500, blank=True, help_text="Its name in the default storage")
    captions_name = models.CharField(max_length=255, blank=True)
    captions_file = models.CharField(max_length=500, blank=True)
    videos_dir = models.CharField(max_length=1000, blank=True, help_text="A clip folder the worker can read")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started it")
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    problem_count = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="The first problems (at most 1,000)")
    problems_by_kind = models.JSONField(default=dict, blank=True, help_text="Every problem, counted by kind")
    summary = models.JSONField(null=True, blank=True, help_text="The import summary, once done")
    error = models.TextField(blank=True, help_text="Why it failed, when it did")
    created_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of its worker")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("status", "heartbeat_at"))]

    def __str__(self) -> str:
        return f"import {self.pk} into {self.benchmark_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        """Of the current phase: bytes validated, then rows written."""
        if self.status == self.Status.VALIDATING and self.bytes_total:
            return min(100, self.bytes_read * 100 // self.bytes_total)
        if self.status == self.Status.WRITING and self.rows_read:
            return min(100, self.rows_written * 100 // self.rows_read)
        return 100 if self.is_finished else 0
