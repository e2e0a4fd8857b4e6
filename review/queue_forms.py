"""Forms of the queue admin pages. They parse input; the services check it and name the field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from annotation.models import QualityFlag
from annotation.taxonomy import TASKS, Tier
from annotation.transitions import ReviewStatus
from review.models import Queue, User
from review.services.queues import SPLITS


def _people():
    return User.objects.filter(is_active=True).order_by("role", "username")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.username} ({obj.get_role_display()})"


def _choices(values) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class QueueFiltersForm(forms.Form):
    tasks = forms.MultipleChoiceField(choices=_choices(TASKS), required=False, widget=forms.CheckboxSelectMultiple)
    tiers = forms.MultipleChoiceField(choices=_choices(t.value for t in Tier), required=False,
                                      widget=forms.CheckboxSelectMultiple)  # fmt: skip
    statuses = forms.MultipleChoiceField(choices=ReviewStatus.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                         label="Review statuses")  # fmt: skip
    flags = forms.MultipleChoiceField(choices=QualityFlag.Kind.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                      label="Open flags (lint or model)")  # fmt: skip
    regenerated = forms.BooleanField(required=False, label="Only questions a generator rewrote since their last review")
    clips = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="Clip names, one per line or separated by commas or spaces")  # fmt: skip

    def clean_clips(self) -> list[str]:
        return [c for c in self.cleaned_data["clips"].replace(",", " ").split() if c]

    def filters(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("tasks", "tiers", "statuses", "flags", "regenerated", "clips")
                if self.cleaned_data.get(key)}  # fmt: skip


class QueueSettingsForm(QueueFiltersForm):
    stage = forms.ChoiceField(choices=Queue.Stage.choices, initial=Queue.Stage.FIRST_PASS)
    annotators = PersonChoiceField(queryset=_people(), required=False, widget=forms.CheckboxSelectMultiple)
    overlap = forms.IntegerField(initial=1, help_text="How many different people review each sampled clip")
    overlap_sample_percent = forms.IntegerField(initial=100, label="Overlap sample (%)",
                                                help_text="Share of clips (drawn at random) that get the overlap")  # fmt: skip
    blind = forms.BooleanField(initial=True, required=False, help_text="Answer first; keys shown after")
    lease_seconds = forms.IntegerField(initial=1800, label="Lease (seconds)")
    order = forms.ChoiceField(choices=Queue.Order.choices, initial=Queue.Order.FLAGGED_FIRST)

    def settings(self) -> dict:
        names = ("stage", "overlap", "overlap_sample_percent", "blind", "lease_seconds", "order", "annotators")
        return {name: self.cleaned_data[name] for name in names} | {"filters": self.filters()}


class QueueCreateForm(QueueSettingsForm):
    name = forms.CharField(max_length=200)
    field_order = ["name"]


class QueueBulkForm(QueueSettingsForm):
    name_prefix = forms.CharField(max_length=150)
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
