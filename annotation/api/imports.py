from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.importing.problems import ImportRejected
from annotation.services.importing import ImportFile, benchmark_import

from .permissions import IsAdminRole


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


def _import_file(upload) -> ImportFile | None:
    return None if upload is None else ImportFile(name=upload.name, content=upload.read())


class BenchmarkImportView(APIView):
    """Import machine-generated questions and captions (admins only). Nothing is written on any error."""

    permission_classes = [IsAdminRole]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=ImportRequestSerializer,
        responses={
            201: OpenApiResponse(description="import summary"),
            200: OpenApiResponse(description="dry-run summary"),
            400: OpenApiResponse(description="problems, by place"),
        },
    )
    def post(self, request):
        params = ImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        questions, captions = _import_file(data.get("questions")), _import_file(data.get("captions"))
        try:
            summary = benchmark_import(
                benchmark_name=data["benchmark"],
                questions=questions,
                captions=captions,
                dry_run=data["dry_run"],
                source=data.get("source") or f"upload of {(questions or captions).name}",
                user=request.user,
                kind=data.get("kind"),
            )
        except ImportRejected as rejected:
            return Response(
                {
                    "detail": f"{len(rejected.problems)} problem(s); nothing was imported.",
                    "problems": [p.as_dict() for p in rejected.problems],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(summary.as_dict(), status=status.HTTP_200_OK if data["dry_run"] else status.HTTP_201_CREATED)
