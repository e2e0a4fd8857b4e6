"""The annotator's side: start work from a queue, then review the claimed clip's questions
(blind answer first when the queue is blind, then accept / fix / reject).

A page loads every card's data in a fixed number of queries (reviews, predictions, flags
and hand scores of the whole clip at once), so its cost does not grow with the questions."""

from __future__ import annotations

import json
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotation.models import JudgeScore, Prediction, QAItem, QualityFlag
from annotation.predictors.judge import DIMENSIONS
from annotation.services.audited_writes import EditConflict
from annotation.taxonomy import CHOICE_LETTERS, TASKS, YES_NO_ANSWERS, AnswerFormat, Tier
from review.caption_pane import caption_context
from review.edit_diffs import field_changes
from review.form_errors import error_text
from review.models import Queue, QueueSlot, Review
from review.posted_fixes import posted_item_fix
from review.review_access import own_slot
from review.scrubber import scrub_view
from review.services.claims import NothingToClaim, QueuePaused, claim_next_id
from review.services.reviews import NotYourClaim, review_record, slot_open_work

TIER_ORDER = (Tier.PERCEPTION, Tier.COMPREHENSION, Tier.REASONING)
MAX_SECONDS_PER_ITEM = 3600  # a card left open overnight is not an hour of work


@require_POST
@login_required
def queue_start(request, queue_id: int):
    # one query for the queue and the person's assignment: this is the hottest write path of a busy day
    queue = Queue.objects.filter(pk=queue_id, annotators=request.user).first()
    if queue is None:
        get_object_or_404(Queue, pk=queue_id)
        raise PermissionDenied
    try:
        claim = claim_next_id(queue=queue, user=request.user)
    except (NothingToClaim, QueuePaused) as error:
        messages.info(request, str(error))
        return redirect("home")
    if claim.resumed:
        messages.info(request, "This clip is still yours to finish: decide its caption and every question, "
                               "then Next clip claims another.")  # fmt: skip
    return redirect("review-slot", slot_id=claim.slot_id)


def _session_key(kind: str, slot: QueueSlot, item: QAItem) -> str:
    return f"{kind}:{slot.pk}:{item.pk}"


def _choices(item: QAItem) -> list[str]:
    return list(CHOICE_LETTERS[: len(item.options)]) if item.options else list(YES_NO_ANSWERS)


def _cards(request, slot: QueueSlot, items: list[QAItem]) -> list[dict]:
    """Card contexts for ``items``: four queries whatever their number."""
    ids = [item.pk for item in items]
    reviews = {r.item_id: r for r in Review.objects.filter(slot=slot, item_id__in=ids)}
    predictions: dict[int, list[Prediction]] = {}
    # sorted here, not by the database: ORDER BY over the join made PostgreSQL walk the big prediction table
    rows = Prediction.objects.filter(item_id__in=ids).select_related("run").order_by()
    for prediction in sorted(rows, key=lambda p: (p.run.name, p.run_id)):
        predictions.setdefault(prediction.item_id, []).append(prediction)
    flags: dict[int, list[QualityFlag]] = {}
    for flag in QualityFlag.objects.filter(item_id__in=ids, status=QualityFlag.Status.OPEN).order_by("kind"):
        flags.setdefault(flag.item_id, []).append(flag)
    mine = {s.prediction_id: s for s in JudgeScore.objects.filter(
        prediction__item_id__in=ids, judge=f"human:{request.user.username}")}  # fmt: skip
    return [_card(request, slot, item, reviews.get(item.pk), predictions.get(item.pk, []), flags.get(item.pk, []), mine)
            for item in items]  # fmt: skip


def _card(request, slot, item, review, predictions, flags, my_scores) -> dict:
    request.session.setdefault(_session_key("seen", slot, item), time.time())
    blind_answer = review.blind_answer if review else request.session.get(_session_key("blind", slot, item), "")
    open_task = TASKS[item.task].answer_format == AnswerFormat.OPEN
    needs_blind = slot.queue.blind and not open_task and not blind_answer and review is None
    context = {"slot": slot, "item": item, "review": review, "blind_answer": blind_answer, "needs_blind": needs_blind,
               "choices": _choices(item), "reject_reasons": Review.RejectReason.choices}  # fmt: skip
    if not needs_blind:  # only now may keys, predictions and flags leave the server
        current = [p for p in predictions if p.item_version == item.version]
        context |= {"predictions": current, "flags": flags, "options_text": "\n".join(item.options)}
        if open_task:
            context["scoring"] = {"scale": range(6), "rows": [_score_row(p, my_scores.get(p.pk), item.task)
                                                              for p in current if p.parsed_answer]}  # fmt: skip
    return context


def _score_row(prediction: Prediction, mine: JudgeScore | None, task: str) -> dict:
    dims = [(code.lower(), name, question, getattr(mine, code.lower()) if mine else None)
            for code, name, question in DIMENSIONS[task]]  # fmt: skip
    return {"prediction": prediction, "scored": mine is not None, "dims": dims}


@require_GET
@login_required
def review_slot(request, slot_id: int):
    slot = own_slot(request, slot_id)
    caption_only = slot.queue.benchmark.is_caption_centric  # a training corpus: its queues review captions only
    items = [] if caption_only else list(QAItem.objects.filter(video_id=slot.video_id).order_by("qid"))
    cards = _cards(request, slot, items) if items else []
    tiers = [(tier, [c for c in cards if TASKS[c["item"].task].tier == tier]) for tier in TIER_ORDER]
    scrub = scrub_view(slot.video)
    first_frame = f"{reverse('review-frame', args=[slot.pk, 0])}?v={scrub.version}" if scrub else ""
    return render(request, "review/review_slot.html", {
        "slot": slot, "tiers": tiers, "scrub": scrub, "caption": caption_context(request, slot), "caption_only": caption_only,
        "has_questions": bool(items), "open_work": slot_open_work(slot),
        "first_frame_url": first_frame,
        "scrub_data": scrub.client_data(first_frame.replace("/0.jpg?", "/{index}.jpg?")) if scrub else None,
        "clip_url": reverse("review-clip", args=[slot.pk]) if (slot.video.proxy_file or slot.video.file) else "",
    })  # fmt: skip


def card_response(request, slot: QueueSlot, item: QAItem, status: int = 200, saved: bool = False, **extra):
    context = _cards(request, slot, [QAItem.objects.get(pk=item.pk)])[0] | extra
    response = render(request, "review/_question_card.html", context, status=status)
    if saved:  # the browser drops its autosaved edits of this card
        response["X-Mabench-Saved"] = f"item:{slot.pk}:{item.pk}"
    open_items, caption_open = slot_open_work(slot)
    response["HX-Trigger"] = json.dumps({"slotProgress": {"openItems": open_items, "captionOpen": caption_open}})
    return response


@require_GET
@login_required
def review_card(request, slot_id: int, item_id: int):
    slot = own_slot(request, slot_id)
    return card_response(request, slot, get_object_or_404(QAItem, pk=item_id, video_id=slot.video_id))


@require_POST
@login_required
def review_blind_answer(request, slot_id: int, item_id: int):
    slot = own_slot(request, slot_id)
    item = get_object_or_404(QAItem, pk=item_id, video_id=slot.video_id)
    answer = request.POST.get("answer", "")
    if answer not in _choices(item):
        return card_response(request, slot, item, 400, error=f"Answer with one of {', '.join(_choices(item))}.")
    request.session.setdefault(_session_key("blind", slot, item), answer)  # the first answer counts
    return card_response(request, slot, item)


def _seconds_spent(request, slot: QueueSlot, item: QAItem) -> int | None:
    seen = request.session.get(_session_key("seen", slot, item))
    return None if seen is None else int(min(MAX_SECONDS_PER_ITEM, max(0.0, time.time() - seen)))


@require_POST
@login_required
def review_decide(request, slot_id: int, item_id: int):
    slot = own_slot(request, slot_id)
    item = get_object_or_404(QAItem, pk=item_id, video_id=slot.video_id)
    blind_answer = request.session.get(_session_key("blind", slot, item), "")
    if slot.queue.blind and TASKS[item.task].answer_format != AnswerFormat.OPEN and not blind_answer:
        return card_response(request, slot, item, 400, error="Answer from the video first.")
    decision, post = request.POST.get("decision", ""), request.POST
    reason = post.get("reason") or post.get(f"{decision}_note", "")
    fix = posted_item_fix(post, item) if decision == Review.Decision.FIX else None
    if fix is not None and not post.get("confirm"):
        return _fix_preview(request, slot, item, fix, reason)
    try:
        review_record(slot=slot, item=item, user=request.user, decision=decision, reason=reason,
                      reject_reasons=post.getlist("reject_reasons"), seen_version=int(post.get("version") or 0),
                      blind_answer=blind_answer, seconds_spent=_seconds_spent(request, slot, item), fix=fix)  # fmt: skip
    except EditConflict:
        return card_response(request, slot, item, 409, conflict=_conflict(item, fix, post, reason))
    except (ValueError, ValidationError, NotYourClaim) as error:  # shown on the card, nothing written
        return card_response(request, slot, item, 400, error=error_text(error))
    for kind in ("seen", "blind"):  # the review row keeps them now
        request.session.pop(_session_key(kind, slot, item), None)
    return card_response(request, slot, item, saved=True)


def _fix_preview(request, slot: QueueSlot, item: QAItem, fix: dict, reason: str):
    changes = field_changes({"question": item.question, "options": item.options, "answer": item.answer}, fix)
    if not changes:
        return card_response(request, slot, item, 400, error="The fix changes nothing: accept the item instead.")
    return card_response(request, slot, item, preview={"changes": changes, "fix": fix, "version": request.POST.get("version"),
                        "reason": reason, "options_text": "\n".join(fix.get("options", []))})  # fmt: skip


def _conflict(item: QAItem, fix: dict | None, post, reason: str) -> dict:
    """Both versions side by side, and the annotator's own change ready to apply again on the current one."""
    current = QAItem.objects.get(pk=item.pk)
    theirs = {"question": current.question, "options": current.options, "answer": current.answer}
    return {"theirs": theirs, "current_version": current.version, "seen_version": post.get("version"),
            "decision": post.get("decision", ""), "fix": fix, "changes": field_changes(theirs, fix) if fix else [],
            "options_text": "\n".join(fix.get("options", [])) if fix else "",
            "reject_reasons": post.getlist("reject_reasons"), "reason": reason}  # fmt: skip


