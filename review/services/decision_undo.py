"""Undo: a person takes back one of their decisions on the clip they hold, to decide it again.

Only while the clip is still theirs to finish (``held_slot``: their live claim, lease not run out) and
not complete: a complete clip's decisions have settled its items and caption, so undoing one is refused,
as is an undo with nothing to undo. Every refusal is one ``refused`` event.

The undone ``Review`` (or ``CaptionReview``) row is deleted, so it counts nowhere (agreement, settling,
datasheets read the rows); its ``reviewed`` event stays in the trail and one ``review_undone`` event
records the undo, naming that event (``before.review_event``) and what the decision was. The release
provenance leaves out the evidence span of an undone decision. Undoing a fix also puts the fields the fix
changed back as they were (an ``edited`` event), refused when someone edited the content since.

Blind answers are not undone: they are written once (the blind protocol), and the decisions that follow
the reveal are what undo takes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from annotation.errors import InvalidInput, Refused
from annotation.models import AuditEvent, Caption, QAItem, Video
from annotation.services.audited_writes import Actor, record_action, records_refusals
from annotation.services.content import caption_edit, item_edit
from review.models import CaptionReview, QueueSlot, Review, User

from .claims import SLOT, held_slot, lease_renew

Event = AuditEvent.EventType
ACTION = "undo decision"


class UndoRefused(Refused):
    """Nothing to undo, the clip is complete, or the content was edited since the fix."""


@dataclass(frozen=True)
class UndoneDecision:
    target_kind: str  # "qaitem" or "caption"
    target_id: int
    decision: str
    label: str  # what the page calls it: the question's qid or "the caption"


@records_refusals
def decision_undo(*, slot_id: int, user: User, target: tuple[str, int] | None = None) -> UndoneDecision:
    """Undo the person's last decision on the clip (or the one on ``target``: ``("item", id)`` or
    ``("caption", id)``)."""
    actor = Actor.person(user)
    attempt = {"action": ACTION, "target": f"{target[0]}:{target[1]}" if target else "last"}
    with transaction.atomic():
        completed = QueueSlot.objects.filter(pk=slot_id, completed_by=user).exists()
        if completed:
            raise UndoRefused(
                "this clip is complete: its decisions have settled its questions and caption, so none can be "
                "undone any more"
            ).recording(actor=actor, target_kind=SLOT, target_id=slot_id, after=attempt)
        slot = held_slot(slot_id=slot_id, user=user, action=ACTION)
        Video.objects.select_for_update(no_key=True).filter(pk=slot.video_id).values("pk").first()  # as decisions do
        review = _decision(slot, user, target)
        if review is None:
            raise UndoRefused(
                "nothing to undo: you have no decision on this clip" + (" for that card" if target else "")
            ).recording(actor=actor, target_kind=SLOT, target_id=slot.pk, after=attempt)
        undone = _undo(review, slot, actor)
        lease_renew(slot=slot)
    return undone


def _decision(slot: QueueSlot, user: User, target: tuple[str, int] | None) -> Review | CaptionReview | None:
    questions = Review.objects.filter(slot=slot, reviewer=user).select_related("item")
    captions = CaptionReview.objects.filter(slot=slot, reviewer=user).select_related("caption")
    if target is not None:
        kind, pk = target
        return (questions.filter(item_id=pk) if kind == "item" else captions.filter(caption_id=pk)).first()
    latest = [
        r
        for r in (questions.order_by("-created_at", "-pk").first(), captions.order_by("-created_at", "-pk").first())
        if r
    ]
    return max(latest, key=lambda r: r.created_at) if latest else None


def _undo(review: Review | CaptionReview, slot: QueueSlot, actor: Actor) -> UndoneDecision:
    model: type[QAItem] | type[Caption]
    if isinstance(review, Review):
        model, pk, version, label = QAItem, review.item_id, review.item_version, review.item.qid
        span = {"evidence_start_frame": review.evidence_start_frame, "evidence_end_frame": review.evidence_end_frame}
    else:
        model, pk, version, label, span = Caption, review.caption_id, review.caption_version, "the caption", {}
    kind = model.audit_kind
    reviewed = (
        AuditEvent.objects.filter(
            event_type=Event.REVIEWED, target_kind=kind, target_id=pk, actor_user_id=review.reviewer_id
        )
        .filter(after__slot=slot.pk)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    if review.decision == Review.Decision.FIX:
        _fix_reverted(model, pk, version, actor)
    before = {
        "decision": review.decision,
        "reject_reasons": review.reject_reasons,
        "note": review.reason,
        "version": version,
        "review_event": reviewed,
        **span,
    }
    review.delete()
    current = model.objects.only("version").get(pk=pk).version
    record_action(
        actor=actor,
        event_type=Event.REVIEW_UNDONE,
        target_kind=kind,
        target_id=pk,
        version=current,
        before=before,
        after={"decision": None, "slot": slot.pk, "stage": slot.queue.stage},
        reason=f"{review.get_decision_display().lower()} undone by the reviewer, to decide again",
    )
    return UndoneDecision(kind, pk, review.decision, label)


def _fix_reverted(model: type[QAItem] | type[Caption], pk: int, fixed_version: int, actor: Actor) -> None:
    """Put back what the person's fix changed, unless the content was edited after it."""
    edits = AuditEvent.objects.filter(event_type=Event.EDITED, target_kind=model.audit_kind, target_id=pk)
    if edits.filter(target_version__gt=fixed_version).exists():
        raise UndoRefused(
            f"the {'question' if model is QAItem else 'caption'} was edited after your fix: undoing it would "
            "overwrite that edit, so nothing was undone"
        ).recording(actor=actor, target_kind=model.audit_kind, target_id=pk, after={"action": ACTION})
    fix = edits.filter(target_version=fixed_version, actor_user_id=actor.user.pk).order_by("-id").first()
    if fix is None or not fix.before:
        return
    current = model.objects.only("version").get(pk=pk).version
    reason = "undo of the reviewer's fix"
    if model is QAItem:
        item_edit(item_id=pk, actor=actor, expected_version=current, changes=fix.before, reason=reason)
    else:
        caption_edit(caption_id=pk, actor=actor, expected_version=current, changes=fix.before, reason=reason)


def undo_target(text: str) -> tuple[str, int] | None:
    """The card an Undo button names (``item:<id>`` / ``caption:<id>``); None (the last decision) for none."""
    if not text:
        return None
    kind, _, pk = text.partition(":")
    if kind not in ("item", "caption") or not pk.isdigit():
        raise InvalidInput("target: not a card of this clip (item:<id> or caption:<id>)", field="target")
    return kind, int(pk)
