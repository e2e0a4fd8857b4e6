"""Baseline model runs over a benchmark, their predictions and judge scores."""

from __future__ import annotations

from django.db import models

from .content import Benchmark, QAItem
from .jobs import ClaimableUnit, ResumableJob


class BaselineRun(ResumableJob):
    """One predictor with one set of settings over (some tasks of) a benchmark; resumable."""

    class Predictor(models.TextChoices):
        OPENAI_COMPATIBLE = "openai-compatible", "OpenAI-compatible endpoint, with frames"
        BLIND = "blind", "OpenAI-compatible endpoint, question only"
        CHOICES_ONLY = "choices-only", "OpenAI-compatible endpoint, options only"
        RANDOM = "random", "Random choice"
        PRIOR = "prior", "Answer prior per task"
        EXTERNAL = "external", "Imported predictions (MAC submission)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="runs")
    name = models.CharField(max_length=200, help_text="How reports name it, e.g. the model")
    predictor = models.CharField(max_length=24, choices=Predictor.choices)
    settings = models.JSONField(default=dict, blank=True, help_text="Endpoint, model, sampling...; never the API key")
    settings_hash = models.CharField(max_length=64, help_text="Predictor and settings; a rerun with the same resumes")
    tasks = models.JSONField(default=list, blank=True, help_text="Tasks covered; empty means all")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)

    class Meta(ResumableJob.Meta):
        constraints = [
            models.UniqueConstraint(fields=("benchmark", "settings_hash"), name="baselinerun_one_per_settings"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.benchmark}"


class RunChunk(ClaimableUnit):
    """A slice of a run's items, predicted by one Celery task; claimed one at a time."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    run = models.ForeignKey(BaselineRun, on_delete=models.CASCADE, related_name="chunks")
    item_ids = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("run", "id")
        indexes = [models.Index(fields=("run", "status"))]


class PredictionQuerySet(models.QuerySet):
    def unrotated(self) -> PredictionQuerySet:
        """The answers to the items as they are (rotation 0): one per run, item and version, as a plain run has."""
        return self.filter(rotation=0)


class Prediction(models.Model):
    """A run's answer to an item version; a circular run has one per rotation of the options, each with its
    ``parsed_answer`` in the item's own letters (the prompt and raw reply are as sent and received)."""

    class Outcome(models.TextChoices):
        PARSED = "parsed", "Parsed"
        UNPARSEABLE = "unparseable", "Unparseable (counted wrong)"
        ERROR = "error", "Request failed (retried on resume)"

    run = models.ForeignKey(BaselineRun, on_delete=models.CASCADE, related_name="predictions")
    item = models.ForeignKey(QAItem, on_delete=models.PROTECT, related_name="predictions")
    item_version = models.PositiveIntegerField()
    rotation = models.PositiveSmallIntegerField(
        default=0, help_text="Circular runs: the options were shown starting from this one (0: as the item has them)"
    )
    prompt = models.JSONField(default=list, blank=True, help_text="Messages as sent, images as placeholders")
    raw_reply = models.TextField(blank=True)
    parsed_answer = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    correct = models.BooleanField(null=True, help_text="Closed tasks: against the key at prediction time")
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_kind = "prediction"  # target_kind of the scored events of its hand scores

    objects = PredictionQuerySet.as_manager()

    class Meta:
        ordering = ("run", "item", "rotation")
        constraints = [
            models.UniqueConstraint(
                fields=("run", "item", "item_version", "rotation"), name="prediction_once_per_item_version_rotation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.item_id} -> {self.parsed_answer[:40]!r}"


class JudgeScore(models.Model):
    """A judge model's (or a reviewer's) 0-5 scores of an open answer on the task's three dimensions."""

    prediction = models.ForeignKey(Prediction, on_delete=models.CASCADE, related_name="judge_scores")
    judge = models.CharField(max_length=200, help_text="Judge model, or 'human:<username>'")
    l1 = models.PositiveSmallIntegerField()
    l2 = models.PositiveSmallIntegerField()
    l3 = models.PositiveSmallIntegerField()
    reasoning = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("prediction", "judge"), name="judgescore_once_per_judge"),
            models.CheckConstraint(condition=models.Q(l1__lte=5, l2__lte=5, l3__lte=5), name="judgescore_0_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.judge} on prediction {self.prediction_id}"
