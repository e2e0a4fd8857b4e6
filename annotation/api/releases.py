"""Releases: list, create (admins), diff, streamed exports with ETags; flag waivers and their withdrawal."""

import logging
from collections.abc import Iterator
from itertools import chain

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from annotation.domain.input_rules import tag_problem
from annotation.domain.plurals import counted
from annotation.errors import InvalidInput
from annotation.exports.release_export import FORMATS, content_type_of, default_format, file_suffix_of, formats_of
from annotation.exports.sft_export import FORMATS as SFT_FORMATS
from annotation.models import Benchmark, QualityFlag, Release
from annotation.selectors import evaluation_benchmarks
from annotation.services.flags import flag_unwaive, flag_waive
from annotation.services.release_integrity import ReleaseDamaged, refuse_wrong_row_count, verified_export_chunks
from annotation.services.releases import ReleaseBlocked, release_create, release_diff

from .content import IdCursorPagination
from .permissions import AdminWrites, IsAdminOrReviewer, clips_withheld
from .query_params import BenchmarkRef

READ_AHEAD_BYTES = 1 << 20
logger = logging.getLogger(__name__)


class ReleaseSerializer(serializers.ModelSerializer):
    benchmark = BenchmarkRef(shown_as="name", help_text="benchmark id or exact name (answered with its name)")
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    disjoint_from = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="training corpus only: names of the evaluation benchmarks it must share no participant with "
        "(default: all of them)",
    )

    def validate_disjoint_from(self, names: list[str]) -> list[Benchmark]:
        try:
            return evaluation_benchmarks(names=names)
        except LookupError as error:
            raise serializers.ValidationError(str(error)) from None

    class Meta:
        model = Release
        fields = (
            "id",
            "benchmark",
            "kind",
            "tag",
            "notes",
            "created_by",
            "created_at",
            "item_count",
            "task_counts",
            "clip_count",
            "disjoint_from",
            "sha256",
            "export_sha256",
            "excluded",
        )
        read_only_fields = (
            "kind",
            "created_at",
            "item_count",
            "task_counts",
            "clip_count",
            "sha256",
            "export_sha256",
            "excluded",
        )
        validators = []  # the service reports a taken tag with the other blockers


class ReleaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Release.objects.select_related("benchmark", "created_by").defer("datasheet")  # read where shown
    serializer_class = ReleaseSerializer
    permission_classes = [AdminWrites]
    pagination_class = IdCursorPagination

    @extend_schema(
        responses={
            201: ReleaseSerializer,
            409: OpenApiResponse(
                description="what keeps it from release: count; groups (kind, detail, title, count, clears, "
                "subjects), one per kind of blocker; blockers (every sentence)"
            ),
        }
    )
    def create(self, request, *args, **kwargs):
        params = self.get_serializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            release = release_create(
                benchmark=data["benchmark"],
                tag=data["tag"],
                notes=data.get("notes", ""),
                user=request.user,
                disjoint_from=data.get("disjoint_from"),
            )
        except ReleaseBlocked as blocked:
            return Response(blocked_body(blocked), status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(release).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            200: inline_serializer(
                "ReleaseDatasheet",
                {
                    "release": serializers.IntegerField(),
                    "benchmark": serializers.CharField(),
                    "tag": serializers.CharField(),
                    "datasheet": serializers.JSONField(
                        help_text="sections named in datasheet.sections, in order; computed at the cut and frozen "
                        "(README: How to read the datasheet)"
                    ),
                },
            ),
            404: OpenApiResponse(description="no such release, or one cut before datasheets (it has none)"),
        }
    )
    @action(detail=True, methods=["get"])
    def datasheet(self, request, pk=None):
        """The release's datasheet, as stored at the cut (the json export carries the same in release.datasheet)."""
        release = self.get_object()
        if release.datasheet is None:
            return Response({"detail": f"release {release.tag} was cut before datasheets: it has none"}, status=404)
        body = {"release": release.pk, "benchmark": release.benchmark.name, "tag": release.tag}
        return Response(body | {"datasheet": release.datasheet})

    @extend_schema(
        parameters=[OpenApiParameter("against", str, required=True, description="the older tag")],
        responses={200: OpenApiResponse(description="added, removed and changed qids")},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        release = self.get_object()
        against = request.query_params.get("against", "")
        problem = tag_problem(against)
        if problem:
            raise InvalidInput(f"against: {problem}", field="against")
        old = get_object_or_404(Release, benchmark=release.benchmark, tag=against)
        return Response(release_diff(old=old, new=release).as_dict())

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=[*FORMATS, *SFT_FORMATS], description="default mac; a training corpus: sft-video"
            )
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                description="the export, streamed; its bytes "
                "are checked against the ETag as they go: past the first MiB, a damaged release's "
                "stream is cut short before its last chunk"
            ),
            304: OpenApiResponse(description="not modified (If-None-Match)"),
            503: OpenApiResponse(
                description="the release is damaged: its stored rows no longer give "
                "its item count or digest (detail, release, problems)"
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        release = self.get_object()
        fmt = request.query_params.get("format", default_format(release))
        if fmt not in formats_of(release):
            return Response(
                {"detail": f"unknown format {fmt!r}; expected one of {', '.join(formats_of(release))}"}, status=400
            )
        etag = f'"{release.export_sha256[fmt]}"'
        try:
            refuse_wrong_row_count(release)
            if etag in request.headers.get("If-None-Match", ""):
                response = HttpResponse(status=304)
            else:
                response = _streamed_export(release, fmt)
        except ReleaseDamaged as damaged:
            return _damaged_response(damaged)
        response["ETag"] = etag
        response["Cache-Control"] = "private, max-age=0, must-revalidate"
        return response


def blocked_body(blocked: ReleaseBlocked) -> dict:
    count = len(blocked.found)
    return {
        "detail": f"The benchmark is not ready for release: {counted(count, 'blocker')} in {counted(len(blocked.groups), 'group')}.",
        "count": count,
        "groups": [group.as_dict() for group in blocked.groups],
        "blockers": blocked.blockers,
    }


def _streamed_export(release: Release, fmt: str) -> StreamingHttpResponse:
    """The export as a stream checked against its digest; its first READ_AHEAD_BYTES are read
    before the response starts, so an export that small is checked whole (and its damage
    answered with a 503) rather than cut short mid-stream."""
    chunks = verified_export_chunks(release, fmt)
    ahead = _read_ahead(chunks)
    response = StreamingHttpResponse(chain(ahead, chunks), content_type=f"{content_type_of(fmt)}; charset=utf-8")
    name = f"{release.benchmark.name}-{release.tag}{file_suffix_of(fmt)}".replace(" ", "_")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _read_ahead(chunks: Iterator[bytes]) -> list[bytes]:
    ahead, size = [], 0
    for chunk in chunks:
        ahead.append(chunk)
        size += len(chunk)
        if size >= READ_AHEAD_BYTES:
            break
    return ahead


def _damaged_response(damaged: ReleaseDamaged) -> Response:
    # The server's data is damaged, not the request: 503, and no ETag that a body would belie.
    logger.error("%s", damaged)
    release = damaged.release
    return Response(
        {
            "detail": str(damaged),
            "release": {"id": release.pk, "benchmark": release.benchmark.name, "tag": release.tag},
            "problems": damaged.problems,
        },
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


class FlagReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class FlagViewSet(viewsets.ReadOnlyModelViewSet):
    """Quality flags; admins and reviewers may waive an open one with a reason, or withdraw a waiver."""

    queryset = QualityFlag.objects.order_by("id")
    permission_classes = [IsAdminOrReviewer]
    pagination_class = IdCursorPagination

    def get_queryset(self):
        withheld = clips_withheld(self.request)
        return self.queryset.exclude(item__video_id__in=withheld).exclude(caption__video_id__in=withheld)

    class Output(serializers.ModelSerializer):
        class Meta:
            model = QualityFlag
            fields = (
                "id",
                "benchmark",
                "item",
                "caption",
                "target_key",
                "kind",
                "severity",
                "status",
                "source",
                "message",
                "details",
                "waived_reason",
                "created_at",
                "closed_at",
            )

    serializer_class = Output

    def _status_change(self, request, service):
        params = FlagReasonSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        # a refusal (409) or bad input (400) is answered by the API's one handler (annotation/api/errors.py)
        flag = service(flag=self.get_object(), user=request.user, reason=params.validated_data["reason"])
        return Response(self.Output(flag).data)

    @extend_schema(request=FlagReasonSerializer, responses={200: Output, 409: OpenApiResponse(description="not open")})
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        return self._status_change(request, flag_waive)

    @extend_schema(
        request=FlagReasonSerializer, responses={200: Output, 409: OpenApiResponse(description="not waived")}
    )
    @action(detail=True, methods=["post"])
    def unwaive(self, request, pk=None):
        """Withdraw a waiver with a reason: the flag is open again."""
        return self._status_change(request, flag_unwaive)
