"""The annotator's side: start work from a queue, then review the claimed clip's questions
(blind answer first when the queue is blind, then accept / fix / reject).

Thin views: the rules (claims, leases, the blind protocol, versions) live in ``review.services``;
what the page shows lives in ``review.selectors.review_page``."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotation.domain.input_rules import content_problem
from annotation.errors import DomainError, Refused, error_status
from annotation.models import QAItem
from annotation.services.audited_writes import EditConflict
from review.edit_diffs import field_changes
from review.forms import (
    BlindAnswerForm,
    DecisionForm,
    EvidenceSpanForm,
    error_text,
    form_error_text,
    posted_item_fix,
)
from review.models import QueueSlot, Review, reject_reasons_in_words
from review.selectors.review_page import (
    caption_context,
    cards_by_tier,
    context_cards,
    question_cards,
    served_cards,
    slot_item,
    slot_items,
    slot_state,
)
from review.selectors.slots import queue_to_claim_from
from review.services.blind_answers import blind_answer_record
from review.services.claims import NothingToClaim, QueuePaused, claim_next_id, lease_heartbeat
from review.services.reviews import review_record
from review.views.access import own_slot
from review.views.clip_media import player_context
from review.views.fragments import card_response, seconds_spent, seen_key


@require_POST
@login_required
def queue_start(request, queue_id: int):
    # one query for the queue and the person's assignment: this is the hottest write path of a busy day
    queue, annotates = queue_to_claim_from(queue_id, request.user)
    if queue is None:
        raise Http404("No Queue matches the given query.")
    if not annotates:
        raise PermissionDenied
    try:
        claim = claim_next_id(queue=queue, user=request.user)
    except (NothingToClaim, QueuePaused) as error:
        messages.info(request, str(error))
        return redirect("home")
    if claim.resumed:
        messages.info(
            request,
            "This clip is still yours to finish: decide its caption and every question, then Next clip claims another.",
            extra_tags="slot-unfinished",  # the page drops it once the clip is done (static/js/caption-pane.js)
        )
    return redirect("review-slot", slot_id=claim.slot_id)


@require_GET
@login_required
def review_slot(request, slot_id: int):
    slot = own_slot(request, slot_id)
    items = slot_items(slot, request.user)
    state = slot_state(slot=slot, user=request.user)
    cards = question_cards(slot=slot, user=request.user, items=items, state=state)
    caption = caption_context(slot=slot, user=request.user, state=state)
    if state.revealed:  # time on a question counts from when its key could first be judged
        _note_first_seen(request, slot, cards, caption)
    return render(
        request,
        "review/review_slot.html",
        {
            "slot": slot,
            "tiers": cards_by_tier(served_cards(cards)),
            "context_cards": context_cards(cards, state),
            "state": state,
            "caption": caption,
            "caption_only": slot.queue.caption_only,
            "has_questions": bool(items),
            "heartbeat_url": reverse("review-heartbeat", args=[slot.pk]),
            "heartbeat_seconds": max(15, min(60, slot.queue.lease_seconds // 3)),
            **player_context(slot.video, clip_route="review-clip", frame_route="review-frame", args=[slot.pk]),
        },
    )


def _note_first_seen(request, slot: QueueSlot, cards: list[dict], caption: dict) -> None:
    """Note in the session when each question and the caption still to decide was first shown to judge. What is
    decided is left out: its review row keeps the time, and noting it again would write the session each load."""
    keys = [seen_key(slot, card["item"]) for card in cards if card["review"] is None]
    if caption.get("review") is None:
        keys.append(seen_key(slot))
    for key in keys:
        request.session.setdefault(key, time.time())


@require_POST
@login_required
def review_heartbeat(request, slot_id: int):
    """The open page keeps its lease; 409 with the reason once the clip is no longer the person's."""
    own_slot(request, slot_id)
    try:
        lease = lease_heartbeat(slot_id=slot_id, user=request.user)
    except Refused as error:
        return JsonResponse({"held": False, "error": str(error)}, status=error_status(error))
    return JsonResponse({"held": True, "lease_expires": lease.isoformat()})


def _slot_item(request, slot_id: int, item_id: int) -> tuple[QueueSlot, QAItem]:
    slot = own_slot(request, slot_id)
    try:
        return slot, slot_item(slot, request.user, item_id)  # as its card reads it
    except QAItem.DoesNotExist:
        raise Http404("no such question in this clip") from None


@require_GET
@login_required
def review_card(request, slot_id: int, item_id: int):
    """The card as it stands; Back from a fix preview sends the marked evidence span along, to keep it."""
    slot, item = _slot_item(request, slot_id, item_id)
    marked = EvidenceSpanForm(request.GET)
    return card_response(request, slot, item, span=marked.evidence_span() if marked.is_valid() else {})


@require_POST
@login_required
def review_blind_answer(request, slot_id: int, item_id: int):
    slot, item = _slot_item(request, slot_id, item_id)
    form = BlindAnswerForm(request.POST)
    if not form.is_valid():
        return card_response(request, slot, item, status=400, error=form_error_text(form))
    was_revealed = slot_state(slot=slot, user=request.user).revealed
    try:
        blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=request.user, answer=form.cleaned_data["answer"])
    except DomainError as error:
        return card_response(request, slot, item, status=error_status(error), error=str(error))
    return card_response(request, slot, item, was_revealed=was_revealed)


@require_POST
@login_required
def review_decide(request, slot_id: int, item_id: int):
    slot, item = _slot_item(request, slot_id, item_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return card_response(request, slot, item, status=400, error=form_error_text(form))
    decision, reason = form.cleaned_data["decision"], form.note()
    fix = posted_item_fix(request.POST, item) if decision == Review.Decision.FIX else None
    if fix is not None and not form.cleaned_data["confirm"]:
        return _fix_preview(request, slot, item, fix, reason, form)
    try:
        review = review_record(
            slot=slot,
            item=item,
            user=request.user,
            decision=decision,
            reason=reason,
            reject_reasons=form.cleaned_data["reject_reasons"],
            seen_version=form.seen_version(),
            seconds_spent=seconds_spent(request, seen_key(slot, item)),
            fix=fix,
            **form.evidence_span(),
        )
    except EditConflict:
        return card_response(request, slot, item, status=409, conflict=_conflict(item, fix, form, reason))
    except (DomainError, ValidationError) as error:  # shown on the card, nothing written
        return card_response(
            request, slot, item, status=error_status(error), error=error_text(error), span=form.evidence_span()
        )
    request.session.pop(seen_key(slot, item), None)  # the review row keeps it now
    unchanged = fix is None and review.item_version == item.version  # not edited since the page read it
    return card_response(request, slot, item, saved=True, unchanged=unchanged)


def _fix_preview(request, slot: QueueSlot, item: QAItem, fix: dict, reason: str, form: DecisionForm):
    problem = content_problem(fix)
    if problem:  # the service refuses the same on save; said before the preview, at the field
        error = f"{problem[0]}: {problem[1]}"
        return card_response(request, slot, item, status=400, error=error, span=form.evidence_span())
    changes = field_changes({"question": item.question, "options": item.options, "answer": item.answer}, fix)
    if not changes:
        return card_response(
            request,
            slot,
            item,
            status=400,
            error="The fix changes nothing: accept the item instead.",
            span=form.evidence_span(),
        )
    return card_response(
        request,
        slot,
        item,
        preview={
            "changes": changes,
            "fix": fix,
            "version": form.seen_version(),
            "reason": reason,
            "options_text": "\n".join(fix.get("options", [])),
        },
        span=form.evidence_span(),
    )


def _conflict(item: QAItem, fix: dict | None, form: DecisionForm, reason: str) -> dict:
    """Both versions side by side, and the annotator's own change ready to apply again on the current one."""
    current = QAItem.objects.get(pk=item.pk)
    theirs = {"question": current.question, "options": current.options, "answer": current.answer}
    return {
        "theirs": theirs,
        "current_version": current.version,
        "seen_version": form.seen_version(),
        "decision": form.cleaned_data["decision"],
        "fix": fix,
        "changes": field_changes(theirs, fix) if fix else [],
        "options_text": "\n".join(fix.get("options", [])) if fix else "",
        "reject_reasons": form.cleaned_data["reject_reasons"],
        "reject_reason_labels": reject_reasons_in_words(form.cleaned_data["reject_reasons"]),
        "reason": reason,
        "span": form.evidence_span(),
    }
