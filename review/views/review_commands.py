"""The review page's commands beside the decisions: undo a decision (``u``, or a decided card's Undo) and
skip the clip (``s``). Thin views over ``review.services.decision_undo`` and ``review.services.clip_skips``.

Both are plain form posts that also work through htmx: on success they send the page to where it goes next
(``HX-Redirect``, or a redirect without htmx); a refusal is its status (4xx) with the reason, shown in the
page's ``#command-error`` (htmx) or on a page of its own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_POST

from annotation.errors import DomainError, error_status
from review.services.claims import NothingToClaim, QueuePaused, claim_next_id
from review.services.clip_skips import clip_skip
from review.services.decision_undo import decision_undo, undo_target
from review.views.access import own_slot


def _go(request, url: str):
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _refused(request, slot, message: str, status: int):
    if request.headers.get("HX-Request"):
        return HttpResponse(escape(message), status=status)
    return render(request, "review/command_refused.html", {"slot": slot, "message": message}, status=status)


@require_POST
@login_required
def review_undo(request, slot_id: int):
    slot = own_slot(request, slot_id)
    try:
        target = undo_target(request.POST.get("target", ""))
        undone = decision_undo(slot_id=slot.pk, user=request.user, target=target)
    except DomainError as error:
        return _refused(request, slot, str(error), error_status(error))
    # the page this sends to starts the card's time again (review_slot), as for a card never decided
    messages.info(request, f"Undone: your {undone.decision} of {undone.label}. Decide it again.")
    card = "caption-pane" if undone.target_kind == "caption" else f"item-{undone.target_id}"
    # a query, not a #fragment: a new fragment alone would not reload the page
    return _go(request, reverse("review-slot", args=[slot.pk]) + f"?focus={card}")


@require_POST
@login_required
def review_skip(request, slot_id: int):
    slot = own_slot(request, slot_id)
    try:
        clip_skip(slot_id=slot.pk, user=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        return _refused(request, slot, str(error), error_status(error))
    try:
        claim = claim_next_id(queue=slot.queue, user=request.user)
    except (NothingToClaim, QueuePaused) as error:
        messages.info(request, f"Clip skipped. {error}")
        return _go(request, reverse("home"))
    messages.info(request, "Clip skipped: it went back to the queue with your reason. Here is the next one.")
    return _go(request, reverse("review-slot", args=[claim.slot_id]))
