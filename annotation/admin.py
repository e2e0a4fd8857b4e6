"""The Django admin lists every model read-only: content changes must go through
the audited services (the review pages, imports and management commands)."""

from django.contrib import admin, messages

from annotation.domain.plurals import counted
from annotation.errors import DomainError

from .models import (
    AuditEvent,
    BaselineRun,
    Benchmark,
    Caption,
    GenerationRun,
    ImportJob,
    Prediction,
    QAItem,
    QualityFlag,
    Release,
    Video,
)
from .services.video_processing import queued_for_frames, video_processing_request


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin_role

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_admin_role

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Benchmark)
class BenchmarkAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "version", "created_at")
    search_fields = ("name",)


@admin.register(Video)
class VideoAdmin(ReadOnlyAdmin):
    list_display = (
        "clip_name",
        "benchmark",
        "status",
        "error",
        "processing_attempts",
        "frame_count",
        "width",
        "height",
        "sha256",
    )
    list_filter = ("benchmark", "status", "processing_attempts")
    search_fields = ("clip_name", "sha256", "error")
    actions = ["retry_processing"]

    @admin.action(description="Retry / reprocess the frame pipeline for the selected clips")
    def retry_processing(self, request, queryset):
        """Through the processing service, like every write; a fresh attempt budget, forced."""
        video_ids = list(queryset.exclude(file="").values_list("pk", flat=True))
        video_processing_request(video_ids=video_ids, force=True)
        self.message_user(request, queued_for_frames(len(video_ids)))


@admin.register(Caption)
class CaptionAdmin(ReadOnlyAdmin):
    list_display = ("video", "coarse_label", "fine_label", "trend", "review_status", "version")
    list_filter = ("review_status", "coarse_label", "trend")
    search_fields = ("video__clip_name", "description")


@admin.register(QAItem)
class QAItemAdmin(ReadOnlyAdmin):
    list_display = ("qid", "benchmark", "task", "answer", "review_status", "version", "generated_by")
    list_filter = ("benchmark", "task", "review_status")
    search_fields = ("qid", "question", "video__clip_name")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "event_type", "target_kind", "target_id", "target_version", "actor_display")
    list_filter = ("event_type", "target_kind")
    search_fields = ("actor_source", "actor_user__username", "reason")


@admin.register(QualityFlag)
class QualityFlagAdmin(ReadOnlyAdmin):
    list_display = ("kind", "severity", "status", "benchmark", "item", "caption", "source", "created_at")
    list_filter = ("benchmark", "kind", "severity", "status", "source")
    search_fields = ("item__qid", "message")


class JobAdmin(ReadOnlyAdmin):
    """Runs that fan out on the workers: their progress, and resuming them."""

    actions = ("resume",)

    @admin.display(description="done / total")
    def progress(self, run):
        return f"{run.done} / {run.total}"


@admin.register(BaselineRun)
class BaselineRunAdmin(JobAdmin):
    list_display = ("name", "benchmark", "predictor", "status", "progress", "errors", "created_at", "finished_at")
    list_filter = ("benchmark", "predictor", "status")

    @admin.action(description="Resume (predict what is missing or failed)")
    def resume(self, request, queryset):
        from annotation.services.baselines import run_prepare

        for run in queryset.exclude(predictor=BaselineRun.Predictor.EXTERNAL):
            run_prepare(
                benchmark=run.benchmark,
                predictor=run.predictor,
                name=run.name,
                settings=run.settings,
                tasks=run.tasks,
                concurrency=run.concurrency,
                user=request.user,
            )
        self.message_user(request, f"Resumed {counted(queryset.count(), 'run')}; progress shows here as chunks finish.")


@admin.register(GenerationRun)
class GenerationRunAdmin(JobAdmin):
    list_display = ("source", "benchmark", "status", "progress", "errors", "last_error", "created_at", "finished_at")
    list_filter = ("benchmark", "generator", "status")

    @admin.action(description="Resume (generate the clips left, failed or with a changed caption)")
    def resume(self, request, queryset):
        from annotation.services.generation import generation_prepare

        for run in queryset:
            settings = {k: v for k, v in run.settings.items() if k != "tasks"}
            try:
                generation_prepare(
                    benchmark=run.benchmark,
                    generator=run.generator,
                    settings=settings,
                    tasks=run.settings.get("tasks"),
                    concurrency=run.concurrency,
                    user=request.user,
                )
            except DomainError as error:  # e.g. no clip has a reviewed caption any more
                self.message_user(request, f"{run.source} on {run.benchmark}: {error}", level=messages.ERROR)
                return
        self.message_user(
            request, f"Resumed {counted(queryset.count(), 'run')}; progress shows here as batches finish."
        )


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Background imports; the import page (/imports/) follows one with a progress bar."""

    list_display = ("id", "benchmark_name", "status", "rows_read", "problem_count", "rows_written", "attempts")
    list_filter = ("status",)
    exclude = ("problems",)  # up to 1,000 of them: the import page lists them


@admin.register(Prediction)
class PredictionAdmin(ReadOnlyAdmin):
    list_display = ("item", "run", "item_version", "rotation", "parsed_answer", "outcome", "correct", "latency_ms")
    list_filter = ("run", "outcome", "correct")
    search_fields = ("item__qid", "raw_reply")


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ("tag", "benchmark", "item_count", "created_by", "created_at", "sha256")
    list_filter = ("benchmark",)
