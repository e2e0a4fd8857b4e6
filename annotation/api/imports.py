"""Imports through the API: the upload is stored and imported by a worker; the answer is 202 with the job's URL,
which says how far it got and, at the end, the summary or the problems (at most 1,000 listed, all counted)."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.models import ImportJob
from annotation.services.import_jobs import import_job_create

from .permissions import IsAdminRole

RECENT_JOBS = 50


class ImportRequestSerializer(serializers.Serializer):
    benchmark = serializers.CharField(max_length=200)
    questions = serializers.FileField(
        required=False, allow_empty_file=True, help_text="MA-Bench questions: JSON array or JSONL"
    )
    captions = serializers.FileField(
        required=False, allow_empty_file=True, help_text="structured captions: JSON array or JSONL"
    )
    source = serializers.CharField(max_length=200, required=False, help_text="generator name and version")
    dry_run = serializers.BooleanField(default=False)
    kind = serializers.ChoiceField(
        choices=("eval", "train"),
        required=False,
        help_text="kind of a new benchmark (default eval); must match an existing one's",
    )

    def validate(self, attrs):
        if "questions" not in attrs and "captions" not in attrs:
            raise serializers.ValidationError("upload a 'questions' file, a 'captions' file, or both")
        return attrs


class ImportProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    row = serializers.IntegerField(allow_null=True)
    qid = serializers.CharField()
    field = serializers.CharField()
    kind = serializers.CharField()
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    benchmark = serializers.CharField(source="benchmark_name")
    percent = serializers.IntegerField(help_text="of the current phase: bytes validated, then rows written")
    problems = ImportProblemSerializer(many=True, help_text="the first problems, at most 1,000")
    problems_by_kind = serializers.DictField(child=serializers.IntegerField(), help_text="every problem, by kind")
    summary = serializers.DictField(allow_null=True, help_text="the import summary, once done")

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "url",
            "status",
            "benchmark",
            "kind",
            "source",
            "dry_run",
            "questions_name",
            "captions_name",
            "attempts",
            "bytes_total",
            "bytes_read",
            "rows_read",
            "problem_count",
            "rows_written",
            "percent",
            "problems_by_kind",
            "problems",
            "summary",
            "error",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        )

    def get_url(self, job) -> str:
        return reverse("api-import-job", args=[job.pk])


class BenchmarkImportView(APIView):
    """Start an import of machine-generated questions and captions (admins only), or list the recent ones.
    Nothing is written when the file has any problem."""

    permission_classes = [IsAdminRole]
    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: ImportJobSerializer(many=True)})
    def get(self, request):
        jobs = ImportJob.objects.all()[:RECENT_JOBS]
        return Response(ImportJobSerializer(jobs, many=True).data)

    @extend_schema(
        request=ImportRequestSerializer,
        responses={
            202: OpenApiResponse(ImportJobSerializer, description="queued: follow the job's url"),
            400: OpenApiResponse(description="a request field is missing or wrong"),
        },
    )
    def post(self, request):
        params = ImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        job = import_job_create(
            benchmark_name=data["benchmark"],
            source=data.get("source", ""),
            questions=data.get("questions"),
            captions=data.get("captions"),
            dry_run=data["dry_run"],
            kind=data.get("kind"),
            user=request.user,
        )
        job.refresh_from_db()  # where tasks run in-process, it has already run
        body = ImportJobSerializer(job).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ImportJobView(APIView):
    """An import job: its status, progress (rows read, problems, rows written) and, once finished, its summary
    or its problems."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses={200: ImportJobSerializer, 404: OpenApiResponse(description="no such job")})
    def get(self, request, pk: int):
        return Response(ImportJobSerializer(get_object_or_404(ImportJob, pk=pk)).data)
