"""Releases: frozen, immutable snapshots of a benchmark's accepted items."""

from django.conf import settings
from django.db import models

from .content import Benchmark, Caption, QAItem, Video


class Release(models.Model):
    """A tag of a benchmark, frozen at creation. Never updated (PostgreSQL refuses it)."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="releases")
    kind = models.CharField(
        max_length=8,
        choices=Benchmark.Kind.choices,
        default=Benchmark.Kind.EVAL,
        help_text="eval: QA items (ReleaseItem); train: captioned clips (ReleaseClip)",
    )
    tag = models.CharField(max_length=64)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="releases")
    created_at = models.DateTimeField()
    item_count = models.PositiveIntegerField()
    task_counts = models.JSONField(help_text="Items per task")
    last_event_id = models.BigIntegerField(help_text="Provenance is the audit trail up to this event")
    sha256 = models.CharField(max_length=64, help_text="Digest of the canonical (jsonl) export")
    export_sha256 = models.JSONField(help_text="Digest of each export format's bytes (its ETag)")
    clip_count = models.PositiveIntegerField(default=0, help_text="Clips of a training-corpus release")
    disjoint_from = models.JSONField(
        default=list,
        blank=True,
        help_text="Evaluation benchmarks a training corpus was checked to share no participant with",
    )
    excluded = models.JSONField(
        null=True,
        blank=True,
        help_text="The items (a corpus: the captions) excluded at the cut, with the reason from the audit trail; "
        "in the manifest. Null for releases cut before exclusions were recorded, whose manifest has none",
    )

    datasheet = models.JSONField(
        null=True,
        blank=True,
        help_text="Computed at the cut, in its transaction (annotation.services.datasheets): counts, human "
        "accuracy, agreement, model probes, flags, exclusions, disjointness, digests. Null for releases cut "
        "before datasheets, whose json export stays as it was",
    )

    audit_kind = "release"  # target_kind of its release_cut event

    class Meta:
        ordering = ("benchmark", "-created_at")
        constraints = [models.UniqueConstraint(fields=("benchmark", "tag"), name="release_tag_unique_per_benchmark")]

    def __str__(self) -> str:
        return f"{self.benchmark.name} {self.tag}"


class ReleaseItem(models.Model):
    """One released item, as it was: its content, its clip's caption and its provenance."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveIntegerField(help_text="Order in the export (the benchmark's import order)")
    item = models.ForeignKey(QAItem, on_delete=models.PROTECT, related_name="releases")
    item_version = models.PositiveIntegerField()
    qid = models.CharField(max_length=64)
    content = models.JSONField(help_text="clip, task, question stem, options, answer, generator")
    caption = models.JSONField(null=True, blank=True)
    provenance = models.JSONField()

    class Meta:
        ordering = ("release", "position")
        constraints = [
            models.UniqueConstraint(fields=("release", "position"), name="releaseitem_position_unique"),
            models.UniqueConstraint(fields=("release", "qid"), name="releaseitem_qid_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.qid} v{self.item_version}"


class ReleaseClip(models.Model):
    """One clip of a training-corpus release, as it was: its accepted caption, the
    accepted QA items of the clip, where its media were, and the caption's provenance."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="clips")
    position = models.PositiveIntegerField(help_text="Order in the export (clip name order)")
    video = models.ForeignKey(Video, on_delete=models.PROTECT, related_name="train_releases")
    caption = models.ForeignKey(Caption, on_delete=models.PROTECT, related_name="releases")
    caption_version = models.PositiveIntegerField()
    clip_name = models.CharField(max_length=255)
    participant_id = models.CharField(max_length=64)
    content = models.JSONField(help_text="The caption's fields with the label names")
    qa = models.JSONField(default=list, help_text="Accepted QA items of the clip: qid, task, question, answer, version")
    media = models.JSONField(help_text="Clip file (storage name, sha256) and model-view frames at release time")
    provenance = models.JSONField()

    class Meta:
        ordering = ("release", "position")
        constraints = [
            models.UniqueConstraint(fields=("release", "position"), name="releaseclip_position_unique"),
            models.UniqueConstraint(fields=("release", "clip_name"), name="releaseclip_clip_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.clip_name} caption v{self.caption_version}"
