from datetime import timedelta

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


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


class ClaimableUnit(models.Model):
    """A unit of a job's work that one worker at a time claims: a subclass's ``status`` (whose choices include
    ``CLAIMED``) and when it was claimed. A claim is one conditional UPDATE whose row count says whether this
    worker won the unit, so two workers never both get it, on any database."""

    CLAIMED = "running"

    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def claim(cls, pk: int, *, claimable: Q) -> bool:
        """Claim unit ``pk`` if it is still ``claimable``; returns whether this caller got it."""
        return bool(cls._default_manager.filter(claimable, pk=pk).update(status=cls.CLAIMED, claimed_at=timezone.now()))

    @classmethod
    def claim_outlived(cls) -> Q:
        """Units claimed longer ago than the task's hard time limit: their worker was killed, so they may be claimed again."""
        stale = timezone.now() - timedelta(seconds=django_settings.CELERY_TASK_TIME_LIMIT)
        return Q(status=cls.CLAIMED, claimed_at__lt=stale)


class OutboxMessage(models.Model):
    """A message for the workers, written in the transaction that records its work and deleted once the broker
    took it (annotation/dispatch.py). A row still here means the broker was unreachable when it was sent: the
    reconciler sends it again. ``steps`` is ``[[task name, args, kwargs], ...]``: one task, or a chain."""

    steps = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    send_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return " -> ".join(step[0] for step in self.steps)
