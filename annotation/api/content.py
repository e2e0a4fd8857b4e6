"""Read-only endpoints for benchmarks, videos and QA items (admins and reviewers)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.pagination import CursorPagination

from annotation.domain.taxonomy import TASKS
from annotation.models import Benchmark, QAItem, QualityFlag, Video
from annotation.selectors import items_matching, with_open_flags

from .permissions import IsAdminOrReviewer, clips_withheld


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class BenchmarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Benchmark
        fields = ("id", "name", "kind", "description", "created_at")


class VideoSerializer(serializers.ModelSerializer):
    fps = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = (
            "id",
            "benchmark",
            "clip_name",
            "sha256",
            "size_bytes",
            "status",
            "error",
            "codec",
            "width",
            "height",
            "fps",
            "frame_count",
            "duration_seconds",
            "rotation",
        )

    def get_fps(self, video) -> str | None:
        return f"{video.fps_num}/{video.fps_den}" if video.fps_num else None


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = QualityFlag
        fields = ("id", "kind", "severity", "status", "source", "message")


class ItemSerializer(serializers.ModelSerializer):
    clip = serializers.CharField(source="video.clip_name")
    tier = serializers.CharField()
    answer_format = serializers.CharField()
    open_flags = FlagSerializer(many=True, read_only=True)

    class Meta:
        model = QAItem
        fields = (
            "id",
            "benchmark",
            "qid",
            "clip",
            "task",
            "tier",
            "answer_format",
            "question",
            "options",
            "answer",
            "review_status",
            "version",
            "generated_by",
            "open_flags",
        )


def _param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=description)


@extend_schema_view(list=extend_schema(parameters=[]))
class BenchmarkViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Benchmark.objects.all()
    serializer_class = BenchmarkSerializer
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination


@extend_schema_view(
    list=extend_schema(parameters=[_param("benchmark", "benchmark id"), _param("status", "video status")])
)
class VideoViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VideoSerializer
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination

    def get_queryset(self):
        videos = Video.objects.all()
        params = self.request.query_params
        if params.get("benchmark"):
            videos = videos.filter(benchmark_id=params["benchmark"])
        if params.get("status"):
            videos = videos.filter(status=params["status"])
        return videos


ITEM_FILTERS = [
    _param("benchmark", "benchmark id"),
    _param("task", f"one of {', '.join(TASKS)}"),
    _param("tier", "perception, comprehension or reasoning"),
    _param("status", "review status"),
    _param("flag", "items with an open flag of this kind"),
]


@extend_schema_view(list=extend_schema(parameters=ITEM_FILTERS))
class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ItemSerializer
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination

    def get_queryset(self):
        params = self.request.query_params
        one = {
            name: [params[key]] if params.get(key) else ()
            for name, key in (("tasks", "task"), ("tiers", "tier"), ("statuses", "status"), ("flags", "flag"))
        }
        items = items_matching(benchmark=params.get("benchmark") or None, withheld=clips_withheld(self.request), **one)
        return with_open_flags(items)
