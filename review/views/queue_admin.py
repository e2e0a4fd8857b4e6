"""Queue admin pages (admins only): queues per benchmark with progress, create and
bulk-create from filters, reassign annotators, release a claim, pause and resume."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotation.models import Benchmark
from review.forms import AnnotatorsForm, PauseForm, QueueBulkForm, QueueCreateForm, errors_onto, form_error_text
from review.models import Queue
from review.permissions import is_admin_role, role_required
from review.selectors import open_claims, queues_with_progress
from review.services.queues import (
    overlap_sample,
    queue_annotators_set,
    queue_create,
    queue_pause_set,
    queue_slot_release,
    queues_bulk_create,
)

admin_only = role_required(is_admin_role)


@require_GET
@admin_only
def queue_overview(request):
    by_benchmark = defaultdict(list)
    for queue in queues_with_progress():
        by_benchmark[queue.benchmark_id].append(queue)
    benchmarks = [(b, by_benchmark[b.pk]) for b in Benchmark.objects.order_by("name")]
    return render(request, "review/admin/queue_overview.html", {"benchmarks": benchmarks})


def _queue_form_page(request, benchmark: Benchmark, form, create):
    """Run ``create(form)`` on a valid POST; it returns where to go. Service errors go beside their fields."""
    if request.method == "POST" and form.is_valid():
        try:
            return create(form)
        except ValidationError as error:
            errors_onto(form, error)
    bulk = isinstance(form, QueueBulkForm)
    return render(
        request,
        "review/admin/queue_form.html",
        {"benchmark": benchmark, "form": form, "bulk": bulk},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@admin_only
def queue_new(request, pk: int):
    benchmark = get_object_or_404(Benchmark, pk=pk)

    def create(form):
        queue = queue_create(
            benchmark=benchmark, name=form.cleaned_data["name"], created_by=request.user, **form.settings()
        )
        messages.success(request, f"Queue {queue.name!r} created with {queue.slots.count()} slots.")
        return redirect("queue-manage", queue_id=queue.pk)

    return _queue_form_page(request, benchmark, QueueCreateForm(request.POST or None), create)


@require_http_methods(["GET", "POST"])
@admin_only
def queue_bulk_new(request, pk: int):
    benchmark = get_object_or_404(Benchmark, pk=pk)

    def create(form):
        queues = queues_bulk_create(
            benchmark=benchmark,
            name_prefix=form.cleaned_data["name_prefix"],
            split_by=form.cleaned_data["split_by"],
            created_by=request.user,
            **form.settings(),
        )
        messages.success(request, f"Created {len(queues)} queues: {', '.join(q.name for q in queues)}.")
        return redirect("queue-overview")

    return _queue_form_page(request, benchmark, QueueBulkForm(request.POST or None), create)


def _manage_context(queue: Queue, annotators_form: AnnotatorsForm | None = None) -> dict:
    [progress] = queues_with_progress(benchmark=queue.benchmark, only=queue)
    videos = list(queue.slots.filter(copy=1).values_list("video_id", flat=True))
    return {
        "queue": progress,
        "claims": open_claims(queue=queue),
        "overlap_clips": len(overlap_sample(queue, videos)) if queue.overlap > 1 else 0,
        "annotators_form": annotators_form or AnnotatorsForm(initial={"annotators": queue.annotators.all()}),
    }


@require_GET
@admin_only
def queue_manage(request, queue_id: int):
    queue = get_object_or_404(Queue.objects.select_related("benchmark"), pk=queue_id)
    return render(request, "review/admin/queue_manage.html", _manage_context(queue))


@require_POST
@admin_only
def queue_annotators(request, queue_id: int):
    queue = get_object_or_404(Queue.objects.select_related("benchmark"), pk=queue_id)
    form = AnnotatorsForm(request.POST)
    if not form.is_valid():
        return render(request, "review/admin/queue_manage.html", _manage_context(queue, form), status=400)
    released = queue_annotators_set(queue=queue, annotators=form.cleaned_data["annotators"], by=request.user)
    names = ", ".join(u.username for u in form.cleaned_data["annotators"]) or "nobody"
    messages.success(
        request,
        f"Assigned: {names}."
        + (f" {released} open claim{pluralize(released)} went back to the queue." if released else ""),
    )
    return redirect("queue-manage", queue_id=queue.pk)


@require_POST
@admin_only
def queue_pause(request, queue_id: int):
    queue = get_object_or_404(Queue, pk=queue_id)
    form = PauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect("queue-manage", queue_id=queue.pk)
    paused = form.cleaned_data["paused"]
    queue_pause_set(queue=queue, paused=paused, by=request.user)
    messages.success(request, f"Queue {queue.name!r} {'paused' if paused else 'resumed'}.")
    return redirect("queue-manage", queue_id=queue.pk)


@require_POST
@admin_only
def queue_release(request, queue_id: int, slot_id: int):
    queue = get_object_or_404(Queue, pk=queue_id)
    try:
        slot = queue_slot_release(queue=queue, slot_id=slot_id, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Clip {slot.video.clip_name} went back to the queue.")
    return redirect("queue-manage", queue_id=queue.pk)
