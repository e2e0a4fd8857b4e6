"""The posted forms of the review app: queue admin, blind answers, decisions and fixes.

They parse input; the services check it against the rules and name the field."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError

from annotation.domain.input_rules import INT32_MAX, MAX_TEXT, name_problem, text_problem
from annotation.domain.taxonomy import TASKS, Tier
from annotation.domain.transitions import ReviewStatus
from annotation.errors import DomainError
from annotation.models import Benchmark, QAItem, QualityFlag, Release
from review.models import CaptionReview, Queue, Review, User
from review.services.queues import SPLITS


class PlainTextField(forms.CharField):
    """Text a person writes (notes, reasons, caption fields): the input rules' plain text, the problem shown at the field."""

    def __init__(self, *, multiline: bool = True, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        problem = text_problem(value, required=False, max_length=self.max_length or MAX_TEXT, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)


class NameField(forms.CharField):
    def validate(self, value):
        super().validate(value)
        problem = name_problem(value)
        if problem:
            raise ValidationError(problem)


def _people():
    return User.objects.filter(is_active=True).order_by("role", "username")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.username} ({obj.get_role_display()})"


def _choices(values) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class QueueFiltersForm(forms.Form):
    tasks = forms.MultipleChoiceField(choices=_choices(TASKS), required=False, widget=forms.CheckboxSelectMultiple)
    tiers = forms.MultipleChoiceField(
        choices=_choices(t.value for t in Tier), required=False, widget=forms.CheckboxSelectMultiple
    )
    statuses = forms.MultipleChoiceField(
        choices=ReviewStatus.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Review statuses"
    )
    flags = forms.MultipleChoiceField(
        choices=QualityFlag.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Open flags (lint or model)",
    )
    regenerated = forms.BooleanField(required=False, label="Only questions a generator rewrote since their last review")
    clips = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Clip names, one per line or separated by commas or spaces",
    )

    def clean_clips(self) -> list[str]:
        return [c for c in self.cleaned_data["clips"].replace(",", " ").split() if c]

    def filters(self) -> dict:
        return {
            key: self.cleaned_data[key]
            for key in ("tasks", "tiers", "statuses", "flags", "regenerated", "clips")
            if self.cleaned_data.get(key)
        }


class QueueSettingsForm(QueueFiltersForm):
    stage = forms.ChoiceField(choices=Queue.Stage.choices, initial=Queue.Stage.FIRST_PASS)
    annotators = PersonChoiceField(queryset=_people(), required=False, widget=forms.CheckboxSelectMultiple)
    overlap = forms.IntegerField(initial=1, help_text="How many different people review each sampled clip")
    overlap_sample_percent = forms.IntegerField(
        initial=100, label="Overlap sample (%)", help_text="Share of clips (drawn at random) that get the overlap"
    )
    blind = forms.BooleanField(initial=True, required=False, help_text="Answer first; keys shown after")
    lease_seconds = forms.IntegerField(initial=1800, label="Lease (seconds)")
    order = forms.ChoiceField(choices=Queue.Order.choices, initial=Queue.Order.FLAGGED_FIRST)

    def settings(self) -> dict:
        names = ("stage", "overlap", "overlap_sample_percent", "blind", "lease_seconds", "order", "annotators")
        return {name: self.cleaned_data[name] for name in names} | {"filters": self.filters()}


class QueueCreateForm(QueueSettingsForm):
    name = NameField(max_length=200)
    field_order = ["name"]


class QueueBulkForm(QueueSettingsForm):
    name_prefix = NameField(max_length=150)
    split_by = forms.ChoiceField(choices=[(key, f"one queue per {key}") for key in SPLITS])
    field_order = ["name_prefix", "split_by"]


class AnnotatorsForm(forms.Form):
    annotators = PersonChoiceField(queryset=_people(), required=False, widget=forms.CheckboxSelectMultiple)


def errors_onto(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors beside the fields they name; the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def error_text(error: Exception) -> str:
    """One line of text for an error shown on a page, naming the field where there is one."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def form_error_text(form: forms.Form) -> str:
    return "; ".join(
        f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
        for field, messages in form.errors.items()
    )


ABOVE_THE_FORM_LABELS = {"version": "Version", "decision": "Decision"}  # no field of their own to sit beside


@dataclass(frozen=True)
class FieldErrors:
    """A refusal as a form shows it: each named field's problem in words, headed by the field's label, to show
    beside that field (``fields``), and the rest (``general``) above the form."""

    fields: dict[str, str]
    general: str
    labels: list[str]


def field_errors(source: Exception | forms.Form, labels: dict[str, str]) -> FieldErrors:
    """Sort a form's errors, or a service's, into the fields of ``labels`` and the rest (named as before)."""
    named: dict[str, list[str]] = {}
    general: list[str] = []
    for field, messages in _named_messages(source, labels):
        if field in labels:
            named.setdefault(field, []).extend(_without_field_prefix(m, field, labels[field]) for m in messages)
        elif field:
            general.append(f"{ABOVE_THE_FORM_LABELS.get(field, field)}: {' '.join(messages)}")
        else:
            general.extend(messages)
    fields = {field: f"{labels[field]}: {' '.join(messages)}" for field, messages in named.items()}
    return FieldErrors(fields, " ".join(general), [labels[field] for field in named])


def _named_messages(source: Exception | forms.Form, labels: dict[str, str]) -> list[tuple[str, list[str]]]:
    if isinstance(source, forms.Form):
        return [(field if field != "__all__" else "", list(messages)) for field, messages in source.errors.items()]
    if isinstance(source, ValidationError) and hasattr(source, "error_dict"):
        return [(field if field != "__all__" else "", messages) for field, messages in source.message_dict.items()]
    if isinstance(source, ValidationError):
        return [("", source.messages)]
    if isinstance(source, DomainError) and source.field in labels:  # its message names the field already
        return [(source.field, [str(source)])]
    return [("", [str(source)])]


def _without_field_prefix(message: str, field: str, label: str) -> str:
    """A service names the field at the head of its message ("note: ..."); beside the field the label does."""
    head, _, rest = message.partition(": ")
    return rest if rest and head.lower() in {field, field.replace("_", " "), label.lower()} else message


MAX_VERSION = INT32_MAX  # the database's integer: a larger number is refused here, not by a 500
VERSION_ERRORS = {"required": "missing: send the version you saw (reload the page)"}


SPAN_ERRORS = {"invalid": "a frame index (a whole number)"}


class BlindAnswerForm(forms.Form):
    """An answer from the video; the service checks it is one of the question's choices."""

    answer = forms.CharField(max_length=8)


class EvidenceSpanForm(forms.Form):
    """An evidence span's ends, parsed only: the review service checks them against the clip
    (review.services.evidence_spans)."""

    evidence_start_frame = forms.IntegerField(required=False, error_messages=SPAN_ERRORS)
    evidence_end_frame = forms.IntegerField(required=False, error_messages=SPAN_ERRORS)

    def evidence_span(self) -> dict[str, int | None]:
        """The posted ends, by the review service's argument names (None: not given, or not a number)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {name: data.get(name) for name in ("evidence_start_frame", "evidence_end_frame")}


class DecisionForm(EvidenceSpanForm):
    """Accept, fix or reject a question or the caption, on the version the person saw."""

    decision = forms.ChoiceField(choices=Review.Decision.choices)
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, error_messages=VERSION_ERRORS)
    reason = PlainTextField(required=False)
    fix_note = PlainTextField(required=False)
    reject_note = PlainTextField(required=False)
    reject_reasons = forms.MultipleChoiceField(choices=Review.RejectReason.choices, required=False)
    confirm = forms.BooleanField(required=False)

    def note(self) -> str:
        data = self.cleaned_data
        return (data["reason"] or data.get(f"{data['decision']}_note") or "").strip()

    def seen_version(self) -> int:
        return self.cleaned_data["version"]


class CaptionDecisionForm(DecisionForm):
    """Accept, fix or reject the caption: a rejection gives the caption's own reasons (no evidence span)."""

    reject_reasons = forms.MultipleChoiceField(choices=CaptionReview.RejectReason.choices, required=False)
    evidence_start_frame = None
    evidence_end_frame = None


def posted_item_fix(post, item: QAItem) -> dict:
    """A fix of a question as posted: stem, key or reference answer, and options when the form sent them."""
    fields = {
        "question": post.get("question", item.question).strip(),
        "answer": post.get("answer", item.answer).strip(),
    }
    if item.options and "options" in post:
        fields["options"] = [line.strip() for line in post.get("options", "").splitlines() if line.strip()]
    return fields


FRAME_INDEX_ERRORS = {
    "invalid": "a frame index (0 or more)",
    "min_value": "a frame index (0 or more)",
    "max_value": "a frame index within the clip",
}


class CaptionFixForm(forms.Form):
    """The caption fields as posted; frame fields are indices or empty (cleared)."""

    coarse_label = PlainTextField(required=False)
    fine_label = PlainTextField(required=False)
    trend = PlainTextField(required=False)
    other_parts = PlainTextField(required=False)
    dominant_part = PlainTextField(required=False)
    direction_path = PlainTextField(required=False)
    phase_early = PlainTextField(required=False)
    phase_middle = PlainTextField(required=False)
    phase_late = PlainTextField(required=False)
    contact = PlainTextField(required=False)
    description = PlainTextField(required=False)
    phase_middle_start = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION, required=False, error_messages=FRAME_INDEX_ERRORS
    )
    phase_late_start = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION, required=False, error_messages=FRAME_INDEX_ERRORS
    )

    def clean_fine_label(self) -> str:
        if not self.cleaned_data["fine_label"]:
            raise ValidationError("pick one of the coarse label's fine labels")
        return self.cleaned_data["fine_label"]

    def clean_other_parts(self) -> list[str]:
        return [p.strip() for p in self.cleaned_data["other_parts"].split(",") if p.strip()]

    def changes_to(self, caption) -> dict:
        """The posted fields that differ from ``caption``."""
        return {name: value for name, value in self.cleaned_data.items() if getattr(caption, name) != value}


CAPTION_FIELD_LABELS = {
    "coarse_label": "Coarse label",
    "fine_label": "Fine label",
    "dominant_part": "Dominant part",
    "other_parts": "Other parts",
    "trend": "Trend",
    "contact": "Contact",
    "direction_path": "Direction / path",
    "phase_early": "Early phase",
    "phase_middle": "Middle phase",
    "phase_middle_start": "Middle phase start frame",
    "phase_late": "Late phase",
    "phase_late_start": "Late phase start frame",
    "description": "Description",
    "reason": "Note",
    "reject_reasons": "Reject reasons",
}


def posted_caption_values(post) -> dict:
    """The caption fields as the person posted them, unchecked: shown again in the form beside their errors."""
    values = {name: post[name] for name in CaptionFixForm.base_fields if name in post}
    if "other_parts" in values:
        values["other_parts"] = [part.strip() for part in values["other_parts"].split(",") if part.strip()]
    return values


class AdjudicationForm(forms.Form):
    """Settle an item its reviewers disagreed on, on the version shown; a rejection with the review page's
    reason codes."""

    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("fix", "Fix"), ("reject", "Reject")])
    version = forms.IntegerField(
        min_value=1, max_value=MAX_VERSION, error_messages={"required": "missing; reload the page"}
    )
    note = PlainTextField(required=False)
    reject_reasons = forms.MultipleChoiceField(choices=Review.RejectReason.choices, required=False)


class PauseForm(forms.Form):
    paused = forms.TypedChoiceField(choices=[("1", "Pause"), ("0", "Resume")], coerce=lambda value: value == "1")


PAGE_FILTERS = {"task": TASKS, "status": ReviewStatus.values, "flag": QualityFlag.Kind.values}


def page_filter_values(query) -> dict[str, str]:
    """The benchmark page's filter from a query or a posted form: task, status, flag; an unknown value means any."""
    values = {name: query.get(name, "") for name in PAGE_FILTERS}
    return {name: value if value in PAGE_FILTERS[name] else "" for name, value in values.items()}


def page_query(query) -> str:
    """The benchmark page's filter and page number from ``query``, as a query string to return to."""
    values = {name: value for name, value in page_filter_values(query).items() if value}
    if str(query.get("page", "")).isdigit():
        values["page"] = query["page"]
    return urlencode(values)


REASON_ERRORS = {"required": "required: say why (it is kept in the audit trail)"}


class ReasonForm(forms.Form):
    """An exclusion, an inclusion, a waiver or its withdrawal: the reason, and for an item the version shown."""

    reason = PlainTextField(max_length=2000, error_messages=REASON_ERRORS)
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, required=False)


BULK_ACTIONS = {"exclude": "Exclude", "include": "Include again"}


class RebalanceForm(forms.Form):
    """Balance one choice task's key letters, confirmed with the number of moves the page planned."""

    task = forms.ChoiceField(choices=[(code, code) for code, task in TASKS.items() if task.option_count])
    moves = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION, error_messages={"required": "missing; confirm on the page that plans"}
    )
    note = PlainTextField(max_length=2000, required=False)


class BulkStatusForm(forms.Form):
    """Exclude (or include again) every question of the benchmark page's filter, confirmed with their count."""

    action = forms.ChoiceField(choices=BULK_ACTIONS.items())
    reason = PlainTextField(max_length=2000, error_messages=REASON_ERRORS)
    count = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION, error_messages={"required": "missing; confirm on the page that counts"}
    )


class ReleaseCutForm(forms.Form):
    """A new release of a benchmark; the service refuses an empty or taken tag (field ``tag``)."""

    tag = forms.CharField(max_length=Release._meta.get_field("tag").max_length, help_text="e.g. v1.0; never reused")
    notes = PlainTextField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    disjoint_from = forms.ModelMultipleChoiceField(
        queryset=Benchmark.objects.filter(kind=Benchmark.Kind.EVAL).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Disjoint from",
        help_text="The evaluation benchmarks the corpus must share no participant with (none ticked: all of them)",
    )

    def __init__(self, *args, benchmark: Benchmark, **kwargs):
        super().__init__(*args, **kwargs)
        if not benchmark.is_caption_centric:
            del self.fields["disjoint_from"]

    def chosen_benchmarks(self) -> list[Benchmark] | None:
        chosen = self.cleaned_data.get("disjoint_from")
        return sorted(chosen, key=lambda b: b.name) if chosen else None


class ReleaseDiffForm(forms.Form):
    """Two of a benchmark's releases (already loaded: no query) to compare."""

    old = forms.TypedChoiceField(coerce=int, label="From")
    new = forms.TypedChoiceField(coerce=int, label="To")

    def __init__(self, *args, releases: list[Release], **kwargs):
        super().__init__(*args, **kwargs)
        self.releases = {release.pk: release for release in releases}
        choices = [(release.pk, release.tag) for release in reversed(releases)]  # oldest first
        self.fields["old"].choices, self.fields["new"].choices = choices, choices

    def pair(self) -> tuple[Release, Release]:
        return self.releases[self.cleaned_data["old"]], self.releases[self.cleaned_data["new"]]


class ImportForm(forms.Form):
    """An upload to import as a background job (see annotation/services/import_jobs.py)."""

    benchmark = forms.CharField(max_length=200, help_text="created when new")
    questions = forms.FileField(required=False, help_text="MA-Bench questions: JSON array or JSONL")
    captions = forms.FileField(required=False, help_text="structured captions: JSON array or JSONL")
    source = forms.CharField(max_length=200, required=False, help_text="generator name and version")
    kind = forms.ChoiceField(
        choices=(("", "eval (default)"), ("eval", "eval"), ("train", "train")),
        required=False,
        help_text="of a new benchmark; must match an existing one's",
    )
    dry_run = forms.BooleanField(required=False, label="Dry run", help_text="validate and report; write nothing")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("questions") and not cleaned.get("captions"):
            raise ValidationError("Upload a question file, a caption file, or both.")
        return cleaned
