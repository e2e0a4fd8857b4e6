"""Record a person's review of an item in a claimed slot, and move the item's status.

With overlap 1 a decision settles the item: accept (or fix) -> accepted, reject ->
rejected. With overlap k the item settles when its k reviews are in: they agree ->
accepted / rejected; they disagree (decisions, or blind answers), or a blind answer
differs from the key -> needs adjudication.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotation.models import QAItem
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit, review_status_set
from annotation.transitions import ReviewStatus
from review.models import QueueSlot, Review, User

S = ReviewStatus
D = Review.Decision


class NotYourClaim(Exception):
    pass


def review_record(*, slot: QueueSlot, item: QAItem, user: User, decision: str, seen_version: int,
                  blind_answer: str = "", reason: str = "", seconds_spent: int | None = None,
                  fix: dict | None = None) -> Review:  # fmt: skip
    """One review; a fix edits the item first (a stale version raises EditConflict)."""
    if slot.claimed_by_id != user.pk or slot.completed_at is not None:
        raise NotYourClaim(f"slot #{slot.pk} is not an open claim of {user.username}")
    if item.video_id != slot.video_id:
        raise ValueError(f"{item.qid} is not a question of this clip")
    if decision == D.FIX and not fix:
        raise ValueError("a fix needs the corrected fields")
    actor = Actor.person(user)
    with transaction.atomic():
        if decision == D.FIX:
            item = item_edit(item_id=item.pk, actor=actor, expected_version=seen_version, changes=fix, reason=reason)
            seen_version = item.version
        review = Review.objects.create(slot=slot, item=item, item_version=seen_version, reviewer=user,
                                       stage=slot.queue.stage, blind_answer=blind_answer, decision=decision,
                                       reason=reason, seconds_spent=seconds_spent)  # fmt: skip
        _settle(QAItem.objects.get(pk=item.pk), slot, actor)
        _complete_slot_if_done(slot, user)
    return review


def _settle(item: QAItem, slot: QueueSlot, actor: Actor) -> None:
    reviews = list(Review.objects.filter(item=item, slot__queue=slot.queue))
    if item.review_status == S.IMPORTED:
        item = review_status_set(model=QAItem, pk=item.pk, status=S.IN_REVIEW, actor=actor, expected_version=None)
    if len(reviews) < slot.queue.overlap or item.review_status != S.IN_REVIEW:
        return
    accepted = {r.decision in (D.ACCEPT, D.FIX) for r in reviews}
    answers = {r.blind_answer for r in reviews if r.blind_answer}
    disputed = len(accepted) > 1 or len(answers) > 1 or (answers and item.answer and answers != {item.answer})
    status = S.NEEDS_ADJUDICATION if disputed else (S.ACCEPTED if accepted == {True} else S.REJECTED)
    review_status_set(model=QAItem, pk=item.pk, status=status, actor=actor, expected_version=None,
                      reason=f"{len(reviews)} review(s) in {slot.queue.name}")  # fmt: skip


def _complete_slot_if_done(slot: QueueSlot, user: User) -> None:
    open_items = QAItem.objects.filter(video_id=slot.video_id).exclude(reviews__slot=slot)
    if not open_items.exists():
        QueueSlot.objects.filter(pk=slot.pk).update(completed_by=user, completed_at=timezone.now())
