"""Reads of benchmark content for pages and the API."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotation.models import BaselineRun, Benchmark, QAItem, QualityFlag, Release, ReleaseItem, Video
from annotation.scoring import RunScores, run_scores


def _count_of(model, **filters) -> Coalesce:
    rows = model.objects.filter(benchmark=OuterRef("pk"), **filters).order_by().values("benchmark")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), 0)


def benchmarks_with_counts() -> QuerySet[Benchmark]:
    return Benchmark.objects.annotate(video_count=_count_of(Video), item_count=_count_of(QAItem)).order_by("name")


def benchmark_videos(*, benchmark: Benchmark) -> QuerySet[Video]:
    return benchmark.videos.annotate(item_count=Count("items")).order_by("clip_name")


def benchmark_items(*, benchmark: Benchmark, task: str = "", status: str = "", flag: str = "") -> QuerySet[QAItem]:
    """Items with their open flags as ``item.open_flags``."""
    open_flags = QualityFlag.objects.filter(status=QualityFlag.Status.OPEN).order_by("kind")
    items = benchmark.items.select_related("video").prefetch_related(
        Prefetch("flags", queryset=open_flags, to_attr="open_flags")
    ).order_by("video__clip_name", "qid")
    if task:
        items = items.filter(task=task)
    if status:
        items = items.filter(review_status=status)
    if flag:
        items = items.filter(flags__kind=flag, flags__status=QualityFlag.Status.OPEN).distinct()
    return items


def benchmark_level_flags(*, benchmark: Benchmark) -> QuerySet[QualityFlag]:
    """Open flags about the benchmark as a whole (e.g. yes/no balance of a task)."""
    return benchmark.flags.filter(status=QualityFlag.Status.OPEN, item__isnull=True, caption__isnull=True).order_by("kind")


def item_counts_by_status(*, benchmark: Benchmark) -> dict[str, int]:
    rows = benchmark.items.order_by().values_list("review_status").annotate(n=Count("pk"))
    return dict(rows)


def open_flag_counts(*, benchmark: Benchmark) -> dict[str, int]:
    rows = QualityFlag.objects.filter(benchmark=benchmark, status=QualityFlag.Status.OPEN).order_by("kind")
    return dict(rows.values_list("kind").annotate(n=Count("id")))


def release_rows(*, release: Release) -> Iterator[ReleaseItem]:
    """A release's items in export order, streamed (one server-side cursor on PostgreSQL)."""
    rows = ReleaseItem.objects.filter(release_id=release.pk).order_by("position")
    return rows.only("qid", "item_version", "content", "caption", "provenance").iterator(chunk_size=2000)


def release_by_tag(*, benchmark_name: str, tag: str) -> Release | None:
    return Release.objects.select_related("benchmark", "created_by").filter(benchmark__name=benchmark_name, tag=tag).first()


def benchmark_report(*, benchmark: Benchmark) -> list[tuple[BaselineRun, RunScores]]:
    """Every run of the benchmark with its scores, newest first."""
    return [(run, run_scores(run)) for run in benchmark.runs.order_by("-created_at")]
