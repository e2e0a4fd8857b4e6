from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from annotation.domain.taxonomy import TASKS
from annotation.domain.transitions import ReviewStatus
from annotation.models import Benchmark, QualityFlag
from annotation.selectors import (
    benchmark_items,
    benchmark_level_flags,
    benchmark_videos,
    benchmarks_with_counts,
    caption_flags,
    item_counts_by_status,
    open_flag_counts,
)
from annotation.selectors import benchmark_report as benchmark_report_rows
from annotation.selectors.judge_agreement import judge_human_agreement
from annotation.selectors.probes import probe_rows
from annotation.selectors.scores import CHOICE_TASKS, CLOSED_TASKS, RunScores
from review.charts import accuracy_chart
from review.forms import page_filter_values, page_query
from review.permissions import may_browse_content, role_required
from review.selectors import human_accuracy_by_task, my_queues

ITEMS_PER_PAGE = 50


@require_GET
@login_required
def home(request):
    benchmarks = benchmarks_with_counts() if request.user.may_browse_content else None
    return render(request, "review/home.html", {"benchmarks": benchmarks, "queues": my_queues(user=request.user)})


@require_GET
@role_required(may_browse_content)
def benchmark_detail(request, pk: int):
    benchmark = get_object_or_404(Benchmark, pk=pk)
    filters = page_filter_values(request.GET)
    withheld = request.user.clips_withheld()
    items = benchmark_items(benchmark=benchmark, withheld=withheld, **filters)
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "benchmark": benchmark,
        "page": page,
        "filters": filters,
        "query": urlencode(filters),
        "back": page_query(request.GET),
        "tasks": TASKS,
        "statuses": ReviewStatus.choices,
        "flag_kinds": QualityFlag.Kind.choices,
    }
    if request.htmx:
        return render(request, "review/_items_table.html", context)
    context |= {
        "videos": benchmark_videos(benchmark=benchmark, withheld=withheld),
        "status_counts": [
            (status, ReviewStatus(status).label, n) for status, n in item_counts_by_status(benchmark=benchmark).items()
        ],
        "flag_counts": [
            (kind, QualityFlag.Kind(kind).label, n) for kind, n in open_flag_counts(benchmark=benchmark).items()
        ],
        "benchmark_flags": benchmark_level_flags(benchmark=benchmark),
        "caption_flags": caption_flags(benchmark=benchmark, withheld=withheld),
    }
    return render(request, "review/benchmark_detail.html", context)


@require_GET
@role_required(may_browse_content)
def benchmark_report(request, pk: int):
    benchmark = get_object_or_404(Benchmark, pk=pk)
    rows = benchmark_report_rows(benchmark=benchmark)
    human = RunScores(
        accuracy={
            task: value
            for task, value in human_accuracy_by_task(benchmark).items()
            if value is not None and task in CLOSED_TASKS
        }
    )
    charted = rows + ([(HUMAN_ROW, human)] if human.accuracy else [])
    return render(
        request,
        "review/benchmark_report.html",
        {
            "benchmark": benchmark,
            "rows": rows,
            "human": human if human.accuracy else None,
            "closed_tasks": CLOSED_TASKS,
            "choice_tasks": CHOICE_TASKS,
            "probes": probe_rows(rows),
            "chart": accuracy_chart(charted),
            "judge_agreement": judge_human_agreement(benchmark=benchmark),
        },
    )


HUMAN_ROW = SimpleNamespace(name="Human (blind answers)")


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
