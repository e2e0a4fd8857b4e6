"""Quality flags: suspected faults raised by lint, import and baseline models."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .content import Benchmark, Caption, QAItem


class QualityFlag(models.Model):
    """A suspected fault of an item, a caption or a whole benchmark, raised by lint,
    import or a baseline model. Queues filter and sort by open flags."""

    class Kind(models.TextChoices):
        MISSING_ANSWER_KEY = "missing_answer_key", "Answer key missing"
        INVALID_ANSWER_KEY = "invalid_answer_key", "Answer key invalid"
        LABEL_LEAK = "label_leak", "Label leaked into the question"
        DUPLICATE_OPTIONS = "duplicate_options", "Duplicate options"
        AMBIGUOUS_KEY = "ambiguous_key", "Another option denotes the key's label: two right answers"
        OPTIONS_MISFIT = "options_misfit", "Options do not fit the task"
        OPTIONS_GIVE_KEY = "options_give_key", "Options leave one possible key under the generator"
        MARE_FORMAT = "mare_format", "MARE label line missing or inexact"
        MARE_LABEL_MISMATCH = "mare_label_mismatch", "MARE labels disagree with CMAR/FMAR keys"
        YES_NO_BALANCE = "yes_no_balance", "Yes/No answer balance outside 45-55%"
        OPTION_POSITION_BALANCE = "option_position_balance", "Key letters far from uniform"
        ANSWER_LENGTH_OUTLIER = "answer_length_outlier", "Open answer length is an outlier"
        NEAR_DUPLICATE_QUESTION = "near_duplicate_question", "Near-duplicate question in the clip"
        CAPTION_LABEL = "caption_label", "Caption labels inconsistent"
        IMPORT_CONFLICT = "import_conflict", "Generator changed a human-edited item"
        BLIND_SOLVABLE = "blind_solvable", "Answered right without the video"
        ALL_MODELS_WRONG = "all_models_wrong", "Every vision model disagrees with the key"
        KEY_DISPUTED = "key_disputed", "Most predictors agree on another answer"
        POSITION_SENSITIVE = "position_sensitive", "A model's answer moves with the order of the options"
        SINGLE_FRAME_SOLVABLE = "single_frame_solvable", "A motion question answered right from one frame"
        ORDER_INSENSITIVE = "order_insensitive", "A sequence question answered the same with the frames reversed"

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"
        INFO = "info", "Info"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        WAIVED = "waived", "Waived"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="flags")
    item = models.ForeignKey(QAItem, on_delete=models.PROTECT, null=True, blank=True, related_name="flags")
    caption = models.ForeignKey(Caption, on_delete=models.PROTECT, null=True, blank=True, related_name="flags")
    target_key = models.CharField(
        max_length=40, help_text="item:<id>, caption:<id> or benchmark; one open flag per kind"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    source = models.CharField(max_length=200, help_text="lint, import, or the baseline run that raised it")
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    waived_reason = models.TextField(blank=True)
    target_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="Item or caption version it was raised on"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    audit_kind = "qualityflag"  # target_kind of its waiver events
    # Faults no reason makes right: the flag closes only when lint no longer finds the fault.
    NOT_WAIVABLE = frozenset({Kind.AMBIGUOUS_KEY})

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [models.Index(fields=("benchmark", "status", "kind")), models.Index(fields=("item", "status"))]
        constraints = [
            models.UniqueConstraint(
                fields=("benchmark", "target_key", "kind"),
                condition=Q(status="open"),
                name="qualityflag_one_open_per_target_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.item_id or self.caption_id or 'benchmark'}"

    @property
    def waivable(self) -> bool:
        return self.kind not in self.NOT_WAIVABLE


class AnswerTally(models.Model):
    """How many of a benchmark's items of one task have one answer key (answers of up to 3 characters:
    a letter, Yes, No) or one answer length, as a delta: database triggers on the QA item table insert a
    row for every change of an item's benchmark, task or answer (a count, negative for items that left),
    so the benchmark-wide checks read a few hundred rows, not every item. The current tally of a bucket
    is the sum of its rows; lint folds them (``annotation.services.benchmark_checks``)."""

    KEY_CHARS = 3  # answers this short are keys; longer ones are counted by length only

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="+")
    task = models.CharField(max_length=8)
    answer_key = models.CharField(max_length=KEY_CHARS, blank=True)
    answer_length = models.PositiveIntegerField()
    items = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=("benchmark", "task"))]

    def __str__(self) -> str:
        return f"{self.task} {self.answer_key or self.answer_length}: {self.items:+d}"


class BenchmarkTaskCheck(models.Model):
    """One task's benchmark-wide lint state: for an open task, the answer-length band its
    ``answer_length_outlier`` flags were last synced against (null: too few answers for a band). A
    benchmark with none has never been linted."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="+")
    task = models.CharField(max_length=8)
    length_median = models.FloatField(null=True)
    length_spread = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("benchmark", "task"), name="benchmarktaskcheck_one_per_task")]

    def __str__(self) -> str:
        return f"{self.task}: median {self.length_median}, spread {self.length_spread}"
