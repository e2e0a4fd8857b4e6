from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from annotation.models import Benchmark
from annotation.selectors import benchmark_items, benchmark_videos, benchmarks_with_counts, item_counts_by_status
from annotation.taxonomy import TASKS
from annotation.transitions import ReviewStatus

from .permissions import may_browse_content, role_required

ITEMS_PER_PAGE = 50


@require_GET
@login_required
def home(request):
    benchmarks = benchmarks_with_counts() if request.user.may_browse_content else None
    return render(request, "review/home.html", {"benchmarks": benchmarks})


@require_GET
@role_required(may_browse_content)
def benchmark_detail(request, pk: int):
    benchmark = get_object_or_404(Benchmark, pk=pk)
    task, status = request.GET.get("task", ""), request.GET.get("status", "")
    items = benchmark_items(benchmark=benchmark, task=task if task in TASKS else "",
                            status=status if status in ReviewStatus.values else "")  # fmt: skip
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"benchmark": benchmark, "page": page, "task": task, "status": status,
               "tasks": TASKS, "statuses": ReviewStatus.choices}  # fmt: skip
    if request.htmx:
        return render(request, "review/_items_table.html", context)
    context |= {"videos": benchmark_videos(benchmark=benchmark), "status_counts": item_counts_by_status(benchmark=benchmark)}
    return render(request, "review/benchmark_detail.html", context)


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
