"""The annotator's side: start work from a queue, then review the claimed clip's questions
(blind answer first when the queue is blind, then accept / fix / reject)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotation.models import Prediction, QAItem
from annotation.services.audited_writes import EditConflict
from annotation.taxonomy import CHOICE_LETTERS, TASKS, YES_NO_ANSWERS, AnswerFormat, Tier
from review.models import Queue, QueueSlot, Review
from review.services.claims import NothingToClaim, QueuePaused, claim_next
from review.services.reviews import NotYourClaim, review_record

TIER_ORDER = (Tier.PERCEPTION, Tier.COMPREHENSION, Tier.REASONING)


def _own_slot(request, slot_id: int) -> QueueSlot:
    slot = get_object_or_404(QueueSlot.objects.select_related("queue", "video__caption"), pk=slot_id)
    if slot.claimed_by_id != request.user.pk and not request.user.is_admin_role:
        raise PermissionDenied
    return slot


@require_POST
@login_required
def queue_start(request, queue_id: int):
    queue = get_object_or_404(Queue, pk=queue_id)
    if not queue.annotators.filter(pk=request.user.pk).exists():
        raise PermissionDenied
    try:
        slot = claim_next(queue=queue, user=request.user)
    except (NothingToClaim, QueuePaused) as error:
        messages.info(request, str(error))
        return redirect("home")
    return redirect("review-slot", slot_id=slot.pk)


def _blind_key(slot: QueueSlot, item: QAItem) -> str:
    return f"blind:{slot.pk}:{item.pk}"


def _card_context(request, slot: QueueSlot, item: QAItem) -> dict:
    review = Review.objects.filter(slot=slot, item=item).first()
    blind_answer = request.session.get(_blind_key(slot, item), "")
    answer_format = TASKS[item.task].answer_format
    needs_blind = slot.queue.blind and answer_format != AnswerFormat.OPEN and not blind_answer and review is None
    context = {"slot": slot, "item": item, "review": review, "blind_answer": blind_answer, "needs_blind": needs_blind,
               "choices": list(CHOICE_LETTERS[: len(item.options)]) if item.options else list(YES_NO_ANSWERS)}  # fmt: skip
    if not needs_blind:  # only now may keys, predictions and flags leave the server
        context["predictions"] = Prediction.objects.filter(item=item, item_version=item.version).select_related("run")
        context["flags"] = item.flags.filter(status="open")
        context["options_text"] = "\n".join(item.options)
    return context


@require_GET
@login_required
def review_slot(request, slot_id: int):
    slot = _own_slot(request, slot_id)
    items = QAItem.objects.filter(video_id=slot.video_id).order_by("qid")
    tiers = [(tier, [_card_context(request, slot, i) for i in items if TASKS[i.task].tier == tier]) for tier in TIER_ORDER]
    return render(request, "review/review_slot.html", {"slot": slot, "tiers": tiers, "caption": getattr(slot.video, "caption", None)})


@require_POST
@login_required
def review_blind_answer(request, slot_id: int, item_id: int):
    slot = _own_slot(request, slot_id)
    item = get_object_or_404(QAItem, pk=item_id, video_id=slot.video_id)
    answer = request.POST.get("answer", "")
    allowed = list(CHOICE_LETTERS[: len(item.options)]) if item.options else list(YES_NO_ANSWERS)
    if answer not in allowed:
        return render(request, "review/_question_card.html", _card_context(request, slot, item) | {
            "error": f"Answer with one of {', '.join(allowed)}."}, status=400)  # fmt: skip
    request.session.setdefault(_blind_key(slot, item), answer)  # the first answer counts
    request.session.modified = True
    return render(request, "review/_question_card.html", _card_context(request, slot, item))


@require_POST
@login_required
def review_decide(request, slot_id: int, item_id: int):
    slot = _own_slot(request, slot_id)
    item = get_object_or_404(QAItem, pk=item_id, video_id=slot.video_id)
    context = _card_context(request, slot, item)
    if context["needs_blind"]:
        return render(request, "review/_question_card.html", context | {"error": "Answer from the video first."}, status=400)
    decision = request.POST.get("decision", "")
    fix = _fix_fields(request.POST, item) if decision == Review.Decision.FIX else None
    try:
        review_record(slot=slot, item=item, user=request.user, decision=decision, reason=request.POST.get("reason", ""),
                      seen_version=int(request.POST.get("version", 0)), blind_answer=context["blind_answer"], fix=fix)  # fmt: skip
    except EditConflict as conflict:
        return render(request, "review/_question_card.html", _card_context(request, slot, QAItem.objects.get(pk=item.pk))
                      | {"error": str(conflict)}, status=409)  # fmt: skip
    except (ValueError, ValidationError, NotYourClaim) as error:  # shown on the card, nothing written
        return render(request, "review/_question_card.html", context | {"error": _message(error)}, status=400)
    return render(request, "review/_question_card.html", _card_context(request, slot, QAItem.objects.get(pk=item.pk)))


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return str(error)


def _fix_fields(post, item: QAItem) -> dict:
    fields = {"question": post.get("question", item.question), "answer": post.get("answer", item.answer)}
    if item.options:
        fields["options"] = [line.strip() for line in post.get("options", "").splitlines() if line.strip()]
    return fields


@require_GET
@login_required
def clip_file(request, slot_id: int):
    slot = _own_slot(request, slot_id)
    if not slot.video.file:
        raise Http404("this clip has no file yet")
    return FileResponse(slot.video.file.open("rb"), content_type="video/mp4")
