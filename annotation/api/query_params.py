"""The list endpoints' query parameters, parsed before any query runs: a benchmark is named by its
id or its name, every other filter takes one of its documented values, and anything else is a 400
naming the parameter (with the valid choices) instead of a database error."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotation.domain.participants import participant_id_problem
from annotation.domain.taxonomy import TASKS, Tier
from annotation.domain.transitions import ReviewStatus, VideoStatus
from annotation.models import Benchmark, QualityFlag

SHOWN_BENCHMARKS = 20


@extend_schema_field(OpenApiTypes.STR)
class BenchmarkRef(serializers.Field):
    """A benchmark by id (digits) or by its exact name; an id that matches nothing is tried as a name."""

    default_error_messages = {"unknown": "no benchmark {value!r}; known: {known}"}

    def __init__(self, *, shown_as: str = "pk", **kwargs):
        kwargs.setdefault("help_text", "benchmark id or exact name")
        self.shown_as = shown_as
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Benchmark:
        value = str(data)
        found = None
        if value.isascii() and value.isdigit() and len(value) <= 12:
            found = Benchmark.objects.filter(pk=int(value)).first()
        if found is None and "\x00" not in value:
            found = Benchmark.objects.filter(name=value).first()
        if found is None:
            self.fail("unknown", value=value[:80], known=_known_benchmarks())
        return found

    def to_representation(self, value):
        return getattr(value, self.shown_as)


def _known_benchmarks() -> str:
    rows = list(Benchmark.objects.order_by("pk").values_list("pk", "name")[: SHOWN_BENCHMARKS + 1])
    shown = ", ".join(f"{pk} ({name})" for pk, name in rows[:SHOWN_BENCHMARKS])
    return shown + (", ..." if len(rows) > SHOWN_BENCHMARKS else "") if rows else "none yet"


def _choice(choices: list[str], help_text: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices,
        required=False,
        help_text=help_text,
        error_messages={"invalid_choice": f"{{input!r}} is not one of: {', '.join(choices)}"},
    )


class ParticipantRef(serializers.CharField):
    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        problem = participant_id_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class ItemFilters(serializers.Serializer):
    benchmark = BenchmarkRef(required=False)
    task = _choice(list(TASKS), "task code")
    tier = _choice([tier.value for tier in Tier], "tier")
    status = _choice(list(ReviewStatus.values), "review status")
    flag = _choice(list(QualityFlag.Kind.values), "items with an open flag of this kind")


class VideoFilters(serializers.Serializer):
    benchmark = BenchmarkRef(required=False)
    status = _choice(list(VideoStatus.values), "video status")
    participant = ParticipantRef(required=False, max_length=64, help_text="participant id")


class RunFilters(serializers.Serializer):
    benchmark = BenchmarkRef(required=False)


def filters_parsed(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request's filters, validated (a ``ValidationError``, hence a 400, names each bad one);
    parameters left empty are left out. Pagination and format parameters pass untouched."""
    known = serializer_class._declared_fields  # the filters' names, without building the serializer twice
    params = serializer_class(data={k: v for k, v in request.query_params.items() if v != "" and k in known})
    params.is_valid(raise_exception=True)
    return dict(params.validated_data)
