"""Reads of benchmark content for pages and the API."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotation.models import Benchmark, QAItem, Video


def _count_of(model, **filters) -> Coalesce:
    rows = model.objects.filter(benchmark=OuterRef("pk"), **filters).order_by().values("benchmark")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), 0)


def benchmarks_with_counts() -> QuerySet[Benchmark]:
    return Benchmark.objects.annotate(video_count=_count_of(Video), item_count=_count_of(QAItem)).order_by("name")


def benchmark_videos(*, benchmark: Benchmark) -> QuerySet[Video]:
    return benchmark.videos.annotate(item_count=Count("items")).order_by("clip_name")


def benchmark_items(*, benchmark: Benchmark, task: str = "", status: str = "") -> QuerySet[QAItem]:
    items = benchmark.items.select_related("video").order_by("video__clip_name", "qid")
    if task:
        items = items.filter(task=task)
    if status:
        items = items.filter(review_status=status)
    return items


def item_counts_by_status(*, benchmark: Benchmark) -> dict[str, int]:
    rows = benchmark.items.order_by().values_list("review_status").annotate(n=Count("pk"))
    return dict(rows)
