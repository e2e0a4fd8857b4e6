"""Endpoints for benchmarks, videos and QA items (admins and reviewers): read, and exclude an item from
release or include it again, with a reason; the same for a clip's caption (in a training corpus: the clip)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from annotation.domain.input_rules import int_problem
from annotation.models import Benchmark, Caption, QAItem, QualityFlag, Video
from annotation.selectors import items_matching, with_open_flags
from annotation.services.exclusions import clip_exclude, clip_include, item_exclude, item_include

from .permissions import IsAdminOrReviewer, clips_withheld
from .query_params import ItemFilters, VideoFilters, filters_parsed


class IdCursorPagination(CursorPagination):
    """Pages in id order. A ``page_size`` that is not 1..1000, or a cursor this API did not hand out, is a 400
    naming the parameter (DRF would quietly use the default size, or answer 404)."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        problem = int_problem(given, minimum=1, maximum=self.max_page_size)
        if problem:
            raise serializers.ValidationError({self.page_size_query_param: [problem]})
        return int(given)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise serializers.ValidationError({self.cursor_query_param: ["not a cursor this API handed out"]}) from None


class BenchmarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Benchmark
        fields = ("id", "name", "kind", "description", "created_at")


class ClipCaptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Caption
        fields = ("id", "review_status", "version")


class VideoSerializer(serializers.ModelSerializer):
    fps = serializers.SerializerMethodField()
    caption = ClipCaptionSerializer(
        read_only=True,
        allow_null=True,
        help_text="the clip's caption (null without one); in a training corpus an excluded caption is a clip out "
        "of the corpus",
    )

    class Meta:
        model = Video
        fields = (
            "id",
            "benchmark",
            "clip_name",
            "participant_id",
            "caption",
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


@extend_schema_view(list=extend_schema(parameters=[]))
class BenchmarkViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Benchmark.objects.all()
    serializer_class = BenchmarkSerializer
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination


class ItemStatusChangeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="why (kept in the audit trail); required")
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="the item version the decision was made on; a stale one is refused (409)",
    )


def _status_change_params(request) -> dict:
    """The reason and the version seen of a posted exclusion or inclusion, as the services take them."""
    params = ItemStatusChangeSerializer(data=request.data)
    params.is_valid(raise_exception=True)
    return {"reason": params.validated_data["reason"], "expected_version": params.validated_data.get("version")}


def _status_change_schema(done: str, refused: str, serializer=ItemSerializer):
    return extend_schema(
        request=ItemStatusChangeSerializer,
        responses={
            200: serializer,
            400: OpenApiResponse(description="no reason (the field is named)"),
            403: OpenApiResponse(description="not a reviewer or admin"),
            404: OpenApiResponse(description="no such item or clip, or the clip is held blind by the requester"),
            409: OpenApiResponse(description=f"{refused}, or a stale version; recorded in the audit trail"),
        },
        description=done,
    )


BAD_FILTER = OpenApiResponse(
    description="a filter with a value it does not take (the parameter is named, with the valid choices)"
)


@extend_schema_view(
    list=extend_schema(parameters=[VideoFilters], responses={200: VideoSerializer(many=True), 400: BAD_FILTER})
)
class VideoViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VideoSerializer
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination

    def get_queryset(self):
        videos = Video.objects.exclude(pk__in=clips_withheld(self.request)).select_related("caption")
        filters = filters_parsed(VideoFilters, self.request) if self.action == "list" else {}
        for name, field in (("benchmark", "benchmark"), ("status", "status"), ("participant", "participant_id")):
            if name in filters:
                videos = videos.filter(**{field: filters[name]})
        return videos

    def _caption_status_change(self, request, service):
        video = self.get_object()
        service(video_id=video.pk, user=request.user, **_status_change_params(request))
        return Response(VideoSerializer(self.get_queryset().get(pk=video.pk)).data)

    @_status_change_schema(
        "Exclude the clip's caption, with a reason. In a training corpus the clip leaves the corpus with its QA "
        "rows: it is not released and not counted for shared participants. `version` is the caption's.",
        "a caption in review or excluded already",
        VideoSerializer,
    )
    @action(detail=True, methods=["post"])
    def exclude(self, request, pk=None):
        return self._caption_status_change(request, clip_exclude)

    @_status_change_schema(
        "Include the clip's excluded caption again: it goes back to imported, to be reviewed before a release.",
        "a caption that is not excluded",
        VideoSerializer,
    )
    @action(detail=True, methods=["post"])
    def include(self, request, pk=None):
        return self._caption_status_change(request, clip_include)


@extend_schema_view(
    list=extend_schema(parameters=[ItemFilters], responses={200: ItemSerializer(many=True), 400: BAD_FILTER})
)
class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ItemSerializer
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination

    def _status_change(self, request, service):
        # a refusal (409) or bad input (400) is answered by the API's one handler (annotation/api/errors.py)
        item = service(item_id=self.get_object().pk, user=request.user, **_status_change_params(request))
        return Response(ItemSerializer(with_open_flags(QAItem.objects.filter(pk=item.pk)).get()).data)

    @_status_change_schema(
        "Exclude the item from release (it leaves the release blockers), with a reason.",
        "an item in review or excluded already",
    )
    @action(detail=True, methods=["post"])
    def exclude(self, request, pk=None):
        return self._status_change(request, item_exclude)

    @_status_change_schema(
        "Include an excluded item again: it goes back to imported, to be reviewed before a release.",
        "an item that is not excluded",
    )
    @action(detail=True, methods=["post"])
    def include(self, request, pk=None):
        return self._status_change(request, item_include)

    def get_queryset(self):
        filters = filters_parsed(ItemFilters, self.request) if self.action == "list" else {}
        one = {
            name: [filters[key]] if key in filters else ()
            for name, key in (("tasks", "task"), ("tiers", "tier"), ("statuses", "status"), ("flags", "flag"))
        }
        items = items_matching(benchmark=filters.get("benchmark"), withheld=clips_withheld(self.request), **one)
        return with_open_flags(items)
