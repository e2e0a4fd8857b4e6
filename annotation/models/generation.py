"""Question-generation runs and their per-clip progress (what was generated from which caption version)."""

from django.db import models

from .content import Benchmark, Video
from .jobs import ClaimableUnit, ResumableJob


class GenerationRun(ResumableJob):
    """One generator (name, version and settings) over clips of a benchmark; rerunning the same settings resumes."""

    class Generator(models.TextChoices):
        TEMPLATE = "template", "Template generator (CMAR, FMAR)"
        MODEL = "model", "Model generator (SAD, MAD, MAS, PPR, MADU, MARE)"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Done with per-clip errors"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="generation_runs")
    generator = models.CharField(max_length=16, choices=Generator.choices)
    source = models.CharField(
        max_length=200, help_text="Machine source named in the audit trail: generator and version"
    )
    settings = models.JSONField(
        default=dict, blank=True, help_text="Seed, tasks, endpoint and model; never the API key"
    )
    settings_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    batch_queued_at = models.DateTimeField(null=True, blank=True, help_text="When a chain last queued a batch")

    class Meta(ResumableJob.Meta):
        constraints = [
            models.UniqueConstraint(fields=("benchmark", "settings_hash"), name="generationrun_one_per_settings"),
        ]

    def __str__(self) -> str:
        return f"{self.source} on {self.benchmark}"


class GeneratedClip(ClaimableUnit):
    """A clip of a run: pending, claimed by a worker, generated from a caption version, or failed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        ERROR = "error", "Error (retried on resume)"

    run = models.ForeignKey(GenerationRun, on_delete=models.CASCADE, related_name="clips")
    video = models.ForeignKey(Video, on_delete=models.PROTECT, related_name="generations")
    caption_version = models.PositiveIntegerField(help_text="Caption version generated from (or to generate from)")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    items_created = models.PositiveSmallIntegerField(default=0)
    items_revised = models.PositiveSmallIntegerField(default=0)
    items_kept = models.PositiveSmallIntegerField(
        default=0, help_text="Unchanged, or kept because a person edited them"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("run", "id")
        constraints = [models.UniqueConstraint(fields=("run", "video"), name="generatedclip_once_per_run")]
        indexes = [models.Index(fields=("run", "status"))]
