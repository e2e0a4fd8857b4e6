"""Actions on the benchmark page (reviewers and admins), each with a reason kept in the audit trail: exclude a
question from release or include it again, the same for every question of the page's filter, exclude a clip
from a training corpus (its caption) or include it again, and waive a quality flag or withdraw its waiver; for
admins, balance a choice task's key letters by reordering options.

With htmx the item's row or the flag's chip is swapped in place; without JavaScript the form posts and the
person is sent back to the page with its filter. Bad input is a 400 naming the field, a refusal a 409 saying
why; questions and flags of a clip the person holds blind are not found (404), as on every other page."""

from __future__ import annotations

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from annotation.domain.taxonomy import TASKS
from annotation.domain.transitions import ReviewStatus
from annotation.errors import DomainError, error_status
from annotation.models import Benchmark, QAItem, QualityFlag, Video
from annotation.selectors import benchmark_videos, items_matching, page_filters, with_open_and_waived_flags
from annotation.services.exclusions import (
    clip_exclude,
    clip_include,
    item_exclude,
    item_include,
    items_exclude,
    items_include,
)
from annotation.services.flags import flag_unwaive, flag_waive
from review.forms import (
    BULK_ACTIONS,
    BulkStatusForm,
    ReasonForm,
    RebalanceForm,
    error_text,
    form_error_text,
    page_filter_values,
    page_query,
)
from review.permissions import is_admin_role, may_browse_content, role_required
from review.services.option_balance import options_rebalance

ROW = "review/_item_row.html"
CLIP_ROW = "review/_clip_row.html"
CHIP = "review/_flag_chip.html"
FAILED = "review/benchmark_action_failed.html"
BULK = "review/items_bulk_status.html"
REBALANCE = "review/options_rebalance.html"
content_people = role_required(may_browse_content)
CHOICE_TASKS = [code for code, task in TASKS.items() if task.option_count]


def _back(request) -> str:
    """Where on the benchmark page the action came from (the form's ``back``: the page's query string)."""
    return page_query(QueryDict(request.POST.get("back", "")))


def _to_benchmark_page(benchmark_id: int, back: str):
    url = reverse("benchmark-detail", args=[benchmark_id])
    return redirect(f"{url}?{back}" if back else url)


def _with_reason(request, *, act, fragment, done: str, benchmark_id: int):
    """Run ``act(reason, version)`` on a posted reason. ``fragment(back, error=, status=)`` renders the row or chip:
    for htmx, and for any error (without JavaScript inside a page); a done action without htmx goes back."""
    back = _back(request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return fragment(back, error=form_error_text(form), status=400)
    try:
        act(form.cleaned_data["reason"], form.cleaned_data["version"])
    except DomainError as error:  # nothing written but the refusal's event
        return fragment(back, error=error_text(error), status=error_status(error))
    if request.htmx:
        return fragment(back)
    messages.success(request, done)
    return _to_benchmark_page(benchmark_id, back)


# --- one question ---------------------------------------------------------------------------------


@require_POST
@content_people
def exclude_item(request, item_id: int):
    return _item_status(request, item_id, item_exclude, "excluded from release")


@require_POST
@content_people
def include_item(request, item_id: int):
    return _item_status(request, item_id, item_include, "included again; it goes back to review")


def _item_status(request, item_id: int, service, done: str):
    item = get_object_or_404(QAItem.objects.exclude(video_id__in=request.user.clips_withheld()), pk=item_id)
    return _status_moved(
        request,
        service,
        {"item_id": item.pk},
        fragment=lambda back, **shown: _row(request, item.pk, back, **shown),
        done=f"{item.qid} {done}.",
        benchmark_id=item.benchmark_id,
    )


def _status_moved(request, service, target: dict, **shown):
    """``_with_reason`` for an exclusion or inclusion: ``service(**target, ...)`` on the version the page showed."""
    return _with_reason(
        request,
        act=lambda reason, version: service(**target, user=request.user, reason=reason, expected_version=version),
        **shown,
    )


def _fragment(request, template: str, context: dict, *, back: str, error: str, status: int):
    """A row after an action: the row itself for htmx, else the failure page around it (a done action redirects)."""
    context |= {"back": back, "error": error, "posted": request.POST if error else {}}
    return render(request, template if request.htmx else FAILED, context, status=status)


def _row(request, item_id: int, back: str, *, error: str = "", status: int = 200):
    item = with_open_and_waived_flags(QAItem.objects.filter(pk=item_id)).get()
    return _fragment(request, ROW, {"item": item}, back=back, error=error, status=status)


# --- one clip of a training corpus (its caption) ---------------------------------------------------


@require_POST
@content_people
def exclude_clip(request, video_id: int):
    return _clip_status(request, video_id, clip_exclude, "excluded from the corpus")


@require_POST
@content_people
def include_clip(request, video_id: int):
    return _clip_status(request, video_id, clip_include, "included again; its caption goes back to review")


def _clip_status(request, video_id: int, service, done: str):
    video = get_object_or_404(Video.objects.exclude(pk__in=request.user.clips_withheld()), pk=video_id)
    return _status_moved(
        request,
        service,
        {"video_id": video.pk},
        fragment=lambda back, **shown: _clip_row(request, video, back, **shown),
        done=f"{video.clip_name} {done}.",
        benchmark_id=video.benchmark_id,
    )


def _clip_row(request, video: Video, back: str, *, error: str = "", status: int = 200):
    video = benchmark_videos(benchmark=video.benchmark).get(pk=video.pk)
    context = {"video": video, "benchmark": video.benchmark}
    return _fragment(request, CLIP_ROW, context, back=back, error=error, status=status)


# --- every question of the page's filter ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@content_people
def exclude_or_include_filter(request, pk: int):
    """GET: what the action would touch (the count), to confirm with a reason; POST: do it, one event per item."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    query = request.POST if request.method == "POST" else request.GET
    filters = page_filter_values(query)
    count = items_matching(
        benchmark=benchmark, withheld=request.user.clips_withheld(), **page_filters(**filters)
    ).count()
    action = query.get("action") if query.get("action") in BULK_ACTIONS else "exclude"
    context = {
        "benchmark": benchmark,
        "filters": filters,
        "filter_words": _filter_words(filters),
        "count": count,
        "action": action,
        "action_label": BULK_ACTIONS[action],
        "back": page_query(filters),
        "posted": request.POST,
    }
    if request.method == "GET":
        return render(request, BULK, context)
    form = BulkStatusForm(request.POST)
    if not form.is_valid():
        return render(request, BULK, context | {"error": form_error_text(form)}, status=400)
    if form.cleaned_data["count"] != count:
        changed = (
            f"The filter now matches {count} question{pluralize(count)}, not {form.cleaned_data['count']}: "
            "check and confirm again."
        )
        return render(request, BULK, context | {"error": changed}, status=409)
    service = items_exclude if action == "exclude" else items_include
    try:
        outcome = service(
            benchmark=benchmark, user=request.user, reason=form.cleaned_data["reason"], filters=page_filters(**filters)
        )
    except DomainError as error:
        return render(request, BULK, context | {"error": error_text(error)}, status=error_status(error))
    (messages.warning if outcome.refused else messages.success)(request, outcome.summary())
    return _to_benchmark_page(benchmark.pk, context["back"])


def _filter_words(filters: dict[str, str]) -> str:
    words = []
    if filters["task"]:
        words.append(f"task {filters['task']} ({TASKS[filters['task']].name})")
    if filters["status"]:
        words.append(f"status {ReviewStatus(filters['status']).label}")
    if filters["flag"]:
        words.append(f"open flag {QualityFlag.Kind(filters['flag']).label}")
    return ", ".join(words) or "no filter: every question of the benchmark"


# --- flags ------------------------------------------------------------------------------------------


@require_POST
@content_people
def waive_flag(request, flag_id: int):
    return _flag_status(request, flag_id, flag_waive, "waived")


@require_POST
@content_people
def unwaive_flag(request, flag_id: int):
    return _flag_status(request, flag_id, flag_unwaive, "open again: its waiver is withdrawn")


def _flag_status(request, flag_id: int, service, done: str):
    withheld = request.user.clips_withheld()
    visible = QualityFlag.objects.exclude(item__video_id__in=withheld).exclude(caption__video_id__in=withheld)
    flag = get_object_or_404(visible, pk=flag_id)
    return _with_reason(
        request,
        act=lambda reason, _version: service(flag=flag, user=request.user, reason=reason),
        fragment=lambda back, **shown: _chip(request, flag.pk, back, **shown),
        done=f"Flag “{flag.get_kind_display()}” {done}.",
        benchmark_id=flag.benchmark_id,
    )


def _chip(request, flag_id: int, back: str, *, error: str = "", status: int = 200):
    flag = QualityFlag.objects.select_related("item", "caption__video").get(pk=flag_id)
    context = {"flag": flag, "back": back, "flag_error": error, "flag_posted": request.POST if error else {}}
    return render(request, CHIP if request.htmx else FAILED, context, status=status)


# --- key letters --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(is_admin_role)
def rebalance_options(request, pk: int):
    """GET: each choice task's key letters now and after the fewest moves that balance them; POST: make the
    moves of one task (confirmed with their number), one audited edit per item."""
    benchmark = get_object_or_404(Benchmark, pk=pk)
    context = {"benchmark": benchmark, "posted": request.POST}
    try:
        plans = [
            options_rebalance(benchmark=benchmark, task=task, user=request.user, dry_run=True) for task in CHOICE_TASKS
        ]
    except DomainError as error:  # a clip of the benchmark held blind: no plan (it shows keys)
        return render(request, REBALANCE, context | {"error": error_text(error)}, status=error_status(error))
    context["plans"] = plans
    if request.method == "GET":
        return render(request, REBALANCE, context)
    form = RebalanceForm(request.POST)
    if not form.is_valid():
        return render(request, REBALANCE, context | {"error": form_error_text(form)}, status=400)
    task, planned = form.cleaned_data["task"], {plan.task: len(plan.moves) for plan in plans}
    if planned[task] != form.cleaned_data["moves"]:
        moves = planned[task]
        changed = (
            f"{task}: the plan now moves {moves} item{pluralize(moves)}, not {form.cleaned_data['moves']}: check again."
        )
        return render(request, REBALANCE, context | {"error": changed}, status=409)
    try:
        done = options_rebalance(benchmark=benchmark, task=task, user=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        return render(request, REBALANCE, context | {"error": error_text(error)}, status=error_status(error))
    (messages.warning if done.held else messages.success)(request, done.summary())
    return redirect("options-rebalance", benchmark.pk)
