"""Benchmark content: clips, their structured captions and their QA items."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F
from django.db.models.functions import Length

from annotation.domain.taxonomy import (
    CHOICE_LETTERS,
    COARSE_LABELS,
    FINE_LABELS,
    TASKS,
    YES_NO_ANSWERS,
    AnswerFormat,
    Tier,
    Trend,
)
from annotation.domain.transitions import (
    REVIEW_TRANSITIONS,
    VIDEO_TRANSITIONS,
    ReviewStatus,
    TransitionMap,
    VideoStatus,
)

_JSON_PLAIN = (str, int, bool, type(None))


def json_normalized(value: Any) -> Any:
    """The value as it looks after a round trip through the audit trail's JSON."""
    if isinstance(value, _JSON_PLAIN):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


class AuditedModel(models.Model):
    """A row whose every change goes through ``annotation.services.audited_writes``.

    ``version`` counts accepted changes; editors send the version they saw and a
    stale one is refused (optimistic concurrency).
    """

    audit_kind: ClassVar[str]
    audited_fields: ClassVar[tuple[str, ...]]
    status_field: ClassVar[str | None] = None
    transitions: ClassVar[TransitionMap | None] = None

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def audit_snapshot(self, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
        return {name: json_normalized(getattr(self, name)) for name in (fields or self.audited_fields)}

    def audit_label(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


class Benchmark(AuditedModel):
    class Kind(models.TextChoices):
        EVAL = "eval", "Evaluation benchmark"
        TRAIN = "train", "Training corpus"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EVAL)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_kind = "benchmark"
    audited_fields = ("name", "kind", "description")

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        return f"benchmark {self.name!r}"

    @property
    def is_caption_centric(self) -> bool:
        """A training corpus is reviewed and released by caption: its queues review
        captions only and its releases are complete when its captions are."""
        return self.kind == self.Kind.TRAIN


class Video(AuditedModel):
    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="videos")
    clip_name = models.CharField(max_length=255, help_text="Clip file name without extension")
    participant_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The person filmed; imported, or derived from the clip name (participants.py)",
    )
    file = models.FileField(upload_to="clips/", blank=True, max_length=500)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=VideoStatus.choices, default=VideoStatus.PENDING)
    error = models.TextField(blank=True)
    # Probe metadata, derived from the file by the frame pipeline.
    codec = models.CharField(max_length=32, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps_num = models.PositiveIntegerField(null=True, blank=True)
    fps_den = models.PositiveIntegerField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    start_pts = models.BigIntegerField(null=True, blank=True)
    time_base = models.CharField(max_length=32, blank=True)
    rotation = models.SmallIntegerField(default=0)
    # Written by the frame pipeline (annotation/frames/); derived, so not audited.
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    # The frame pipeline's job state (annotation/services/video_processing.py, job_reconciliation.py): a run is
    # owed since this time (None: nothing owed), forced or not; a worker running it beats this clock.
    processing_requested_at = models.DateTimeField(null=True, blank=True)
    processing_force = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    frames_manifest = models.CharField(
        max_length=500, blank=True, help_text="Storage path of the frame manifest; written last, so present = complete"
    )
    scrub_stride = models.PositiveIntegerField(default=1)
    model_view_indices = models.JSONField(default=dict, blank=True, help_text="Sampling strategy -> frame indices")
    proxy_file = models.CharField(max_length=500, blank=True, help_text="Browser proxy MP4, when the source is not one")
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_kind = "video"
    audited_fields = ("benchmark_id", "clip_name", "participant_id", "file", "sha256", "size_bytes", "status", "error")
    status_field = "status"
    transitions = VIDEO_TRANSITIONS

    class Meta:
        ordering = ("benchmark", "clip_name")
        constraints = [
            models.UniqueConstraint(fields=("benchmark", "clip_name"), name="video_clip_unique_per_benchmark")
        ]
        indexes = [models.Index(fields=("benchmark", "participant_id"), name="video_participant_idx")]

    def __str__(self) -> str:
        return self.clip_name

    def audit_label(self) -> str:
        return f"video {self.clip_name!r}"


class Caption(AuditedModel):
    """The structured micro-action caption of one clip."""

    video = models.OneToOneField(Video, on_delete=models.PROTECT, related_name="caption")
    coarse_label = models.CharField(max_length=2, choices=[(c.code, c.name) for c in COARSE_LABELS.values()])
    fine_label = models.CharField(max_length=4, choices=[(f.code, f.name) for f in FINE_LABELS.values()])
    dominant_part = models.CharField(max_length=100)
    other_parts = models.JSONField(default=list, blank=True)
    direction_path = models.TextField(blank=True)
    phase_early = models.TextField(blank=True)
    phase_middle = models.TextField(blank=True)
    phase_late = models.TextField(blank=True)
    # Where the middle and late phases begin, as frame indices of the decoded stream (never times).
    phase_middle_start = models.PositiveIntegerField(null=True, blank=True)
    phase_late_start = models.PositiveIntegerField(null=True, blank=True)
    trend = models.CharField(max_length=16, choices=[(t.value, t.value) for t in Trend])
    contact = models.TextField(blank=True)
    description = models.TextField(blank=True)
    review_status = models.CharField(max_length=24, choices=ReviewStatus.choices, default=ReviewStatus.IMPORTED)
    generated_by = models.CharField(max_length=200, blank=True, help_text="Machine source that wrote it")
    updated_at = models.DateTimeField(auto_now=True)

    audit_kind = "caption"
    audited_fields = (
        "video_id",
        "coarse_label",
        "fine_label",
        "dominant_part",
        "other_parts",
        "direction_path",
        "phase_early",
        "phase_middle",
        "phase_late",
        "phase_middle_start",
        "phase_late_start",
        "trend",
        "contact",
        "description",
        "review_status",
        "generated_by",
    )
    status_field = "review_status"
    transitions = REVIEW_TRANSITIONS

    def __str__(self) -> str:
        return f"caption of {self.video_id}"

    def audit_label(self) -> str:
        return f"caption #{self.pk} (video #{self.video_id})"

    def clean(self) -> None:
        fine = FINE_LABELS.get(self.fine_label)
        if fine and fine.coarse != self.coarse_label:
            raise ValidationError(
                {
                    "fine_label": f"{fine.code} {fine.name} belongs to coarse category {fine.coarse}, not {self.coarse_label}"
                }
            )
        if not isinstance(self.other_parts, list) or not all(isinstance(p, str) for p in self.other_parts):
            raise ValidationError({"other_parts": "must be a list of body-part names"})
        middle, late = self.phase_middle_start, self.phase_late_start
        if middle is not None and late is not None and late <= middle:
            raise ValidationError(
                {"phase_late_start": f"frame {late} is not after the middle phase's start ({middle})"}
            )


class QAItemQuerySet(models.QuerySet):
    def in_tier(self, tier: Tier | str) -> QAItemQuerySet:
        return self.filter(task__in=[code for code, task in TASKS.items() if task.tier == tier])


class QAItem(AuditedModel):
    """One benchmark question with its options and answer key."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="items")
    video = models.ForeignKey(Video, on_delete=models.PROTECT, related_name="items")
    qid = models.CharField(max_length=64)
    task = models.CharField(max_length=8, choices=[(code, t.name) for code, t in TASKS.items()])
    question = models.TextField(help_text="The question stem, options not embedded")
    options = models.JSONField(default=list, blank=True)
    answer = models.TextField(blank=True, help_text="Letter, Yes/No, or reference text; empty when unknown")
    review_status = models.CharField(max_length=24, choices=ReviewStatus.choices, default=ReviewStatus.IMPORTED)
    generated_by = models.CharField(max_length=200, blank=True, help_text="Machine source that wrote it")
    updated_at = models.DateTimeField(auto_now=True)

    objects = QAItemQuerySet.as_manager()

    audit_kind = "qaitem"
    audited_fields = (
        "benchmark_id",
        "video_id",
        "qid",
        "task",
        "question",
        "options",
        "answer",
        "review_status",
        "generated_by",
    )
    status_field = "review_status"
    transitions = REVIEW_TRANSITIONS

    class Meta:
        verbose_name = "QA item"
        ordering = ("benchmark", "qid")
        constraints = [
            models.UniqueConstraint(fields=("benchmark", "qid"), name="qaitem_qid_unique_per_benchmark"),
        ]
        indexes = [
            models.Index(fields=("benchmark", "task", "review_status")),
            # the release blockers and the status counts read a benchmark's items by status, whatever the task
            models.Index(fields=("benchmark", "review_status"), name="qaitem_benchmark_status_idx"),
            # the answer-length outlier check reads the few answers outside a task's band
            models.Index(F("benchmark"), F("task"), Length("answer"), name="qaitem_answer_length_idx"),
        ]

    def __str__(self) -> str:
        return self.qid

    def audit_label(self) -> str:
        return f"QA item {self.qid}"

    @property
    def tier(self) -> Tier:
        return TASKS[self.task].tier

    @property
    def answer_format(self) -> AnswerFormat:
        return TASKS[self.task].answer_format

    def lettered_options(self) -> list[tuple[str, str]]:
        return list(zip(CHOICE_LETTERS, self.options, strict=False))

    def clean(self) -> None:
        task = TASKS.get(self.task)
        if task is None:
            return  # clean_fields reports the unknown task
        if not isinstance(self.options, list) or not all(isinstance(o, str) for o in self.options):
            raise ValidationError({"options": "must be a list of option texts"})
        if self.video_id and self.benchmark_id and self.video.benchmark_id != self.benchmark_id:
            raise ValidationError({"video": "belongs to another benchmark"})
        {
            AnswerFormat.CHOICE: self._clean_choice,
            AnswerFormat.YES_NO: self._clean_without_options,
            AnswerFormat.OPEN: self._clean_without_options,
        }[task.answer_format](task)

    def _clean_choice(self, task) -> None:
        if not 2 <= len(self.options) <= len(CHOICE_LETTERS):
            raise ValidationError(
                {"options": f"{task.code} needs 2 to {len(CHOICE_LETTERS)} options, got {len(self.options)}"}
            )
        letters = CHOICE_LETTERS[: len(self.options)]
        if self.answer and self.answer not in letters:
            raise ValidationError({"answer": f"'{self.answer}' is not one of the option letters {', '.join(letters)}"})

    def _clean_without_options(self, task) -> None:
        if self.options:
            raise ValidationError({"options": f"{task.code} questions have no options"})
        if task.answer_format == AnswerFormat.YES_NO and self.answer and self.answer not in YES_NO_ANSWERS:
            raise ValidationError({"answer": f"'{self.answer}' is not Yes or No"})
