"""Record a person's review of an item in a claimed slot, and move the item's status.

With overlap 1 a decision settles the item: accept (or fix) -> accepted, reject ->
rejected. With overlap k the item settles when its k reviews are in: they agree ->
accepted / rejected; they disagree (decisions, or blind answers), or a blind answer
differs from the key -> needs adjudication.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from annotation.models import AuditEvent, Benchmark, Caption, QAItem, Video
from annotation.services.audited_writes import Actor, EditConflict
from annotation.services.content import caption_edit, item_edit, review_status_set
from annotation.transitions import ReviewStatus
from review.models import CaptionReview, QueueSlot, Review, User

S = ReviewStatus
D = Review.Decision


class NotYourClaim(Exception):
    pass


def _checked_decision(*, slot: QueueSlot, user: User, decision: str, reject_reasons: list[str], reason: str,
                      fix: dict | None) -> list[str]:  # fmt: skip
    if slot.claimed_by_id != user.pk or slot.completed_at is not None:
        raise NotYourClaim(f"slot #{slot.pk} is not an open claim of {user.username}")
    if decision not in D.values:
        raise ValueError(f"decision: {decision!r} is not one of {', '.join(D.values)}")
    if decision == D.FIX and not fix:
        raise ValueError("a fix needs the corrected fields")
    if decision != D.REJECT:
        return []
    unknown = sorted(set(reject_reasons) - set(Review.RejectReason.values))
    if unknown:
        raise ValueError(f"reject reasons: unknown code(s) {', '.join(unknown)}")
    if not reject_reasons:
        raise ValueError("reject reasons: pick at least one")
    if Review.RejectReason.OTHER in reject_reasons and not reason.strip():
        raise ValueError("note: 'other' needs a note saying what is wrong")
    return sorted(set(reject_reasons))


def review_record(*, slot: QueueSlot, item: QAItem, user: User, decision: str, seen_version: int,
                  blind_answer: str = "", reason: str = "", reject_reasons: list[str] = (),
                  seconds_spent: int | None = None, fix: dict | None = None) -> Review:  # fmt: skip
    """One review; a fix edits the item first (a stale version raises EditConflict)."""
    reject_reasons = _checked_decision(slot=slot, user=user, decision=decision, reject_reasons=list(reject_reasons),
                                       reason=reason, fix=fix)  # fmt: skip
    if item.video_id != slot.video_id:
        raise ValueError(f"{item.qid} is not a question of this clip")
    if Review.objects.filter(slot=slot, item=item).exists():
        raise ValueError(f"{item.qid} is already decided in this clip's review")
    actor = Actor.person(user)
    with transaction.atomic():
        if decision == D.FIX:
            item = item_edit(item_id=item.pk, actor=actor, expected_version=_version_to_edit(QAItem, item.pk, seen_version),
                             changes=fix, reason=reason)  # fmt: skip
            seen_version = item.version
        else:
            item = _unchanged_since_seen(QAItem, item.pk, seen_version, ("question", "options", "answer"))
        review = Review.objects.create(slot=slot, item=item, item_version=seen_version, reviewer=user,
                                       stage=slot.queue.stage, blind_answer=blind_answer, decision=decision,
                                       reject_reasons=reject_reasons, reason=reason, seconds_spent=seconds_spent)  # fmt: skip
        reviews = list(Review.objects.filter(item=item, slot__queue=slot.queue))
        answers = {r.blind_answer for r in reviews if r.blind_answer}
        answers_disputed = len(answers) > 1 or bool(answers and item.answer and answers != {item.answer})
        _settle(QAItem, item.pk, [r.decision for r in reviews], answers_disputed, slot, actor)
        _complete_slot_if_done(slot, user)
    return review


def caption_review_record(*, slot: QueueSlot, caption: Caption, user: User, decision: str, seen_version: int,
                          reason: str = "", reject_reasons: list[str] = (), seconds_spent: int | None = None,
                          fix: dict | None = None) -> CaptionReview:  # fmt: skip
    """One decision on the clip's structured caption; a fix edits it first (a stale version raises EditConflict)."""
    reject_reasons = _checked_decision(slot=slot, user=user, decision=decision, reject_reasons=list(reject_reasons),
                                       reason=reason, fix=fix)  # fmt: skip
    if caption.video_id != slot.video_id:
        raise ValueError(f"caption #{caption.pk} is not this clip's caption")
    if CaptionReview.objects.filter(slot=slot, caption=caption).exists():
        raise ValueError("the caption is already decided in this clip's review")
    actor = Actor.person(user)
    with transaction.atomic():
        if decision == D.FIX:
            caption = caption_edit(caption_id=caption.pk, actor=actor, changes=fix, reason=reason,
                                   expected_version=_version_to_edit(Caption, caption.pk, seen_version))  # fmt: skip
            seen_version = caption.version
        else:
            caption = _unchanged_since_seen(Caption, caption.pk, seen_version, ("fine_label", "description"))
        review = CaptionReview.objects.create(slot=slot, caption=caption, caption_version=seen_version, reviewer=user,
                                              stage=slot.queue.stage, decision=decision, reason=reason,
                                              reject_reasons=reject_reasons, seconds_spent=seconds_spent)  # fmt: skip
        decisions = list(CaptionReview.objects.filter(caption=caption, slot__queue=slot.queue)
                         .values_list("decision", flat=True))  # fmt: skip
        _settle(Caption, caption.pk, decisions, False, slot, actor)
        _complete_slot_if_done(slot, user)
    return review


def _edited_since(model, pk: int, seen_version: int) -> bool:
    """Whether the content changed after the version a person saw. Status moves (another reviewer's decision
    settling the item) bump the version too, but do not change what the person judged."""
    return AuditEvent.objects.filter(target_kind=model.audit_kind, target_id=pk, target_version__gt=seen_version,
                                     event_type=AuditEvent.EventType.EDITED).exists()  # fmt: skip


def _version_to_edit(model, pk: int, seen_version: int) -> int:
    """The version a fix is applied to: the current one unless the content changed since it was seen
    (then the seen one, which the audited edit refuses as stale, recording the attempt)."""
    if _edited_since(model, pk, seen_version):
        return seen_version
    return model.objects.values_list("version", flat=True).get(pk=pk)


def _unchanged_since_seen(model, pk: int, seen_version: int, shown: tuple[str, ...]):
    """Accepting or rejecting judges what the person saw: refuse when it was edited since (row locked until commit)."""
    current = model.objects.select_for_update().get(pk=pk)
    if seen_version > current.version or (seen_version < current.version and _edited_since(model, pk, seen_version)):
        raise EditConflict(target=current.audit_label(), seen_version=seen_version, current_version=current.version,
                           current_values=current.audit_snapshot(shown))  # fmt: skip
    return current


def _settle(model: type[QAItem] | type[Caption], pk: int, decisions: list[str], answers_disputed: bool,
            slot: QueueSlot, actor: Actor) -> None:  # fmt: skip
    status_now = model.objects.values_list("review_status", flat=True).get(pk=pk)
    if len(decisions) < slot.queue.overlap:  # more reviews to come
        if status_now == S.IMPORTED:
            review_status_set(model=model, pk=pk, status=S.IN_REVIEW, actor=actor, expected_version=None)
        return
    if status_now not in (S.IMPORTED, S.IN_REVIEW):
        return
    accepted = {d in (D.ACCEPT, D.FIX) for d in decisions}
    disputed = len(accepted) > 1 or answers_disputed
    status = S.NEEDS_ADJUDICATION if disputed else (S.ACCEPTED if accepted == {True} else S.REJECTED)
    review_status_set(model=model, pk=pk, status=status, actor=actor, expected_version=None,
                      reason=f"{len(decisions)} review(s) in {slot.queue.name}")  # fmt: skip


def slot_open_work(slot: QueueSlot) -> tuple[int, bool]:
    """Questions of the slot's clip still without a decision, and whether its caption still needs one.
    A training corpus's queues review captions only. One plain query: every save asks it, twice."""
    tables = {name: model._meta.db_table for name, model in
              (("item", QAItem), ("review", Review), ("caption", Caption), ("caption_review", CaptionReview),
               ("video", Video), ("benchmark", Benchmark))}  # fmt: skip
    sql = """SELECT (SELECT COUNT(*) FROM {item} WHERE video_id = %(video)s)
                    - (SELECT COUNT(*) FROM {review} WHERE slot_id = %(slot)s),
                    EXISTS (SELECT 1 FROM {caption} c WHERE c.video_id = %(video)s AND NOT EXISTS
                            (SELECT 1 FROM {caption_review} r WHERE r.slot_id = %(slot)s AND r.caption_id = c.id)),
                    (SELECT b.kind FROM {benchmark} b JOIN {video} v ON v.benchmark_id = b.id WHERE v.id = %(video)s)
          """.format(**tables)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, {"video": slot.video_id, "slot": slot.pk})
        open_items, caption_open, kind = cursor.fetchone()
    return (0 if kind == Benchmark.Kind.TRAIN else open_items), bool(caption_open)


def _complete_slot_if_done(slot: QueueSlot, user: User) -> None:
    open_items, caption_open = slot_open_work(slot)
    if not open_items and not caption_open:
        QueueSlot.objects.filter(pk=slot.pk).update(completed_by=user, completed_at=timezone.now())
