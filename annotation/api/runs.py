"""Baseline runs with their scores, and their predictions (read; admins and reviewers)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from annotation.models import BaselineRun, Prediction
from annotation.selectors.scores import run_scores

from .content import IdCursorPagination
from .permissions import IsAdminOrReviewer
from .query_params import RunFilters, filters_parsed


class RunSerializer(serializers.ModelSerializer):
    benchmark = serializers.CharField(source="benchmark.name")
    scores = serializers.SerializerMethodField()

    class Meta:
        model = BaselineRun
        fields = (
            "id",
            "benchmark",
            "name",
            "predictor",
            "settings",
            "tasks",
            "status",
            "total",
            "done",
            "errors",
            "last_error",
            "created_at",
            "finished_at",
            "scores",
        )

    def get_scores(self, run) -> dict:
        return run_scores(run).as_dict()


class PredictionSerializer(serializers.ModelSerializer):
    qid = serializers.CharField(source="item.qid")
    task = serializers.CharField(source="item.task")

    class Meta:
        model = Prediction
        fields = (
            "id",
            "qid",
            "task",
            "item_version",
            "rotation",
            "prompt",
            "raw_reply",
            "parsed_answer",
            "outcome",
            "correct",
            "latency_ms",
            "prompt_tokens",
            "completion_tokens",
            "error",
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[RunFilters],
        responses={200: RunSerializer(many=True), 400: OpenApiResponse(description="an unknown benchmark")},
    )
)
class RunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RunSerializer
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination

    def get_queryset(self):
        runs = BaselineRun.objects.select_related("benchmark")
        filters = filters_parsed(RunFilters, self.request) if self.action == "list" else {}
        return runs.filter(benchmark=filters["benchmark"]) if "benchmark" in filters else runs

    @extend_schema(responses=PredictionSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=PredictionSerializer)
    def predictions(self, request, pk=None):
        rows = Prediction.objects.filter(run=self.get_object()).select_related("item")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(PredictionSerializer(page, many=True).data)
