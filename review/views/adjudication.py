"""The adjudication page (reviewers and admins): items whose reviewers disagreed, with the evidence (the clip
in the frame scrubber on demand, the caption, every review, the key); the reviewer accepts as is, fixes then
accepts, rejects with reasons, or excludes the item from release. Each decision answers with the card
(outcome and note) and the waiting count."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from annotation.errors import DomainError, error_status
from annotation.models import Benchmark, QAItem
from annotation.services.audited_writes import EditConflict
from annotation.services.exclusions import item_exclude
from review.forms import AdjudicationForm, ReasonForm, error_text, form_error_text, posted_item_fix
from review.models import Review
from review.permissions import may_browse_content, role_required
from review.selectors import adjudication_item, adjudication_items
from review.services.adjudication import item_adjudicate

ITEMS_PER_PAGE = 25
CARD = "review/admin/_adjudication_card.html"
COUNT = "review/admin/_adjudication_count.html"


def _benchmark_filter(params) -> Benchmark | None:
    value = params.get("benchmark", "")
    return Benchmark.objects.filter(pk=value).first() if value.isdigit() else None


@require_GET
@role_required(may_browse_content)
def adjudication_list(request):
    benchmark = _benchmark_filter(request.GET)
    page = Paginator(
        adjudication_items(benchmark=benchmark, withheld=request.user.clips_withheld()), ITEMS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "review/admin/adjudication_list.html",
        {
            "page": page,
            "benchmark": benchmark,
            "benchmarks": Benchmark.objects.order_by("name"),
            "reject_reasons": Review.RejectReason.choices,
        },
    )


def _fix_fields(post, item: QAItem) -> dict:
    return {name: value for name, value in posted_item_fix(post, item).items() if value != getattr(item, name)}


def _card(request, item_id: int, *, error: str = "", status: int = 200):
    """The card as it stands now; for htmx, with the waiting count of the page's filter swapped out of band."""
    benchmark = _benchmark_filter(request.POST)
    item, outcome = adjudication_item(item_id)
    context = {
        "item": item,
        "outcome": outcome,
        "benchmark": benchmark,
        "error": error,
        "posted": request.POST,
        "posted_reasons": request.POST.getlist("reject_reasons"),
        "reject_reasons": Review.RejectReason.choices,
    }
    html = render_to_string(CARD, context, request=request)
    if request.htmx:
        waiting = adjudication_items(benchmark=benchmark, withheld=request.user.clips_withheld()).count()
        html += render_to_string(COUNT, {"waiting": waiting, "oob": True}, request=request)
    return HttpResponse(html, status=status)


@require_POST
@role_required(may_browse_content)
def adjudication_decide(request, item_id: int):
    item = get_object_or_404(QAItem.objects.exclude(video_id__in=request.user.clips_withheld()), pk=item_id)
    form = AdjudicationForm(request.POST)
    if not form.is_valid():
        return _card(request, item.pk, error=form_error_text(form), status=400)
    decision = form.cleaned_data["decision"]
    fix = _fix_fields(request.POST, item) if decision == "fix" else None
    try:
        item_adjudicate(
            item_id=item.pk,
            user=request.user,
            decision=decision,
            expected_version=form.cleaned_data["version"],
            fix=fix,
            note=form.cleaned_data["note"],
            reject_reasons=form.cleaned_data["reject_reasons"],
        )
    except EditConflict as conflict:
        return _card(request, item.pk, error=str(conflict), status=409)
    except (DomainError, ValidationError) as error:  # nothing was written
        return _card(request, item.pk, error=error_text(error), status=error_status(error))
    if request.htmx:
        return _card(request, item.pk)
    messages.success(request, f"{item.qid} adjudicated.")
    return redirect("adjudication-list")


@require_POST
@role_required(may_browse_content)
def adjudication_exclude(request, item_id: int):
    """Settle a disputed item by excluding it from release, with a reason (the card's Exclude block)."""
    item = get_object_or_404(QAItem.objects.exclude(video_id__in=request.user.clips_withheld()), pk=item_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _card(request, item.pk, error=form_error_text(form), status=400)
    try:
        item_exclude(
            item_id=item.pk,
            user=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as error:  # nothing written but the refusal's event
        return _card(request, item.pk, error=error_text(error), status=error_status(error))
    if request.htmx:
        return _card(request, item.pk)
    messages.success(request, f"{item.qid} excluded from release.")
    return redirect("adjudication-list")
