from django.conf import settings as django_settings
from django.db import models


class ResumableJob(models.Model):
    """What a long machine job over a benchmark keeps: its concurrency, progress and errors, who started it and when.
    A job is one per (benchmark, settings hash): running the same settings again resumes it."""

    concurrency = models.PositiveSmallIntegerField(default=4)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ("benchmark", "-created_at")
