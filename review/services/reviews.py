"""Record a person's decision on a question or on the caption of a clip they hold, and settle items.

One decision path for questions and captions (``_decide``). Every decision:
- needs the person's live claim on the clip (``held_slot``: not someone else's, lease not run out),
  and renews the lease;
- in a blind queue, needs the person's blind answers to every closed question of the clip
  (``blind_phase_check``);
- judges the version the person saw: a version other than the current one (older with content
  edited since, or one that does not exist yet) is an ``EditConflict``, recorded as ``edit_refused``;
- is one ``reviewed`` audit event (a fix is an ``edited`` event as well); a question's names the person's
  evidence span (``evidence_start_frame`` / ``evidence_end_frame``, checked in ``evidence_spans``).

Reviews belong to people. A clip's review is one person's unit of work: decisions are recorded as
they are made, and the clip's items and caption settle when that person completes the clip (every
question and the caption decided). A clip that leaves its holder unfinished (lease ran out, released
by an admin, taken off the queue) keeps the earlier holder's decisions as theirs, in the trail and on
their record, but they settle nothing; the next holder sees none of them and decides for themselves.

A queue serves the questions of its scope (``Queue.questions_served``) and, unless it is scoped, the
caption: a decision on anything else of the clip is refused, and the clip is complete once what the
queue serves is decided.

Settling: an item (or caption) settles from one queue's round, the counted reviews of its clip's
copies in that queue, once all of them are in (one copy, or k for a clip in the overlap sample);
reviews from other queues (earlier rounds) are not counted with them. The round says accept (a fix
counts as accept), reject, or disputed (decisions differ, or a blind answer differs from the key or
from another blind answer), and ``annotation.domain.transitions.round_settles`` gives the move from
the status the target has then: a first round accepts, rejects or sends to adjudication; a later
round that confirms changes nothing, one that disagrees sends it to adjudication, and accepting a
rejected item settles it when its content was edited since the rejection (a fix). Every move goes
through ``review_status_set`` (the transition map), one ``status_changed`` event each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Subquery, TextChoices
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotation.domain.plurals import counted, for_count
from annotation.domain.taxonomy import CLOSED_TASKS
from annotation.domain.transitions import ReviewStatus, RoundOutcome, round_settles
from annotation.errors import InvalidInput, Refused
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, Video
from annotation.services.audited_writes import Actor, record_action, records_refusals, stale_edit
from annotation.services.content import caption_edit, item_edit, review_status_set
from annotation.services.judging import human_score_record
from review.evidence_span import EvidenceSpan
from review.models import BlindAnswer, CaptionReview, QueueScopeItem, QueueSlot, Review, User

from .blind_answers import blind_phase_check
from .claims import NotYourClaim, held_slot, lease_renew
from .evidence_spans import END, START, evidence_span_checked
from .option_balance import is_pure_reorder

S = ReviewStatus
D = Review.Decision

__all__ = [
    "AlreadyDecided",
    "NotYourClaim",
    "caption_review_record",
    "reject_reasons_checked",
    "review_record",
    "slot_hand_score_record",
    "slot_open_work",
    "slot_query_params",
    "slot_query_sql",
    "slot_work",
]


class AlreadyDecided(Refused):
    """The person decided this already in this clip's review."""


def _checked_reasons(target: _Target, *, decision: str, reject_reasons: list[str], reason: str, fix) -> list[str]:
    if decision not in D.values:
        raise InvalidInput(f"decision: {decision!r} is not one of {', '.join(D.values)}", field="decision")
    if decision == D.FIX and fix is None:
        raise InvalidInput("a fix needs the corrected fields", field="fix")
    if decision != D.REJECT:
        return []
    return reject_reasons_checked(reject_reasons, note=reason, known=target.reject_reasons)


def reject_reasons_checked(
    reject_reasons, *, note: str, note_field: str = "reason", known: type[TextChoices] = Review.RejectReason
) -> list[str]:
    """The codes of a rejection, sorted, once they are ``known`` ones (a question's reasons unless told), at
    least one, and 'other' has a note."""
    unknown = sorted(set(reject_reasons) - set(known.values))
    if unknown:
        raise InvalidInput(
            f"reject reasons: unknown {for_count(len(unknown), 'code', 'codes')} {', '.join(unknown)} (known: {', '.join(known.values)})",
            field="reject_reasons",
        )
    if not reject_reasons:
        raise InvalidInput("reject reasons: pick at least one", field="reject_reasons")
    if "other" in reject_reasons and not note.strip():
        raise InvalidInput("note: 'other' needs a note saying what is wrong", field=note_field)
    return sorted(set(reject_reasons))


def _fix_changes_something(target: _Target, current, fix: dict) -> None:
    """Refuse a fix whose every field already holds its value: saving it would record an accept as a fix."""
    if all(getattr(current, name) == value for name, value in fix.items()):
        raise InvalidInput(
            f"the fix changes nothing: every field is as in v{current.version} of the {target.link}, so nothing "
            f"was saved (to keep the {target.link} as it is, accept it)",
            field="fix",
        )


@dataclass(frozen=True)
class _Target:
    """What a decision is about: a question (QAItem) or the clip's caption, and where its reviews live."""

    model: type[QAItem] | type[Caption]
    review_model: type[Review] | type[CaptionReview]
    link: str  # the review's field naming the target
    version_field: str
    shown: tuple[str, ...]  # the fields a person judges on the page
    reject_reasons: type[TextChoices]  # the codes a rejection of it may give

    def edit_fix(self, *, pk: int, actor: Actor, version: int, fix: dict, reason: str):
        if self.model is QAItem:
            return item_edit(item_id=pk, actor=actor, expected_version=version, changes=fix, reason=reason)
        return caption_edit(caption_id=pk, actor=actor, expected_version=version, changes=fix, reason=reason)

    def served_check(self, *, slot: QueueSlot, pk: int, facts: _ItemFacts | None = None) -> None:
        """Refuse a decision on what is not the clip's, or not the queue's work (out of its scope, excluded).
        A question's ``facts`` (``_item_facts``) say both when read already."""
        if facts is not None:
            of_clip, served, what = facts.of_clip, facts.served, "question"
        elif self.model is QAItem:
            of_clip = self.model.objects.filter(pk=pk, video_id=slot.video_id).exists()
            served, what = slot.queue.questions_served(slot.video_id).filter(pk=pk).exists(), "question"
        else:
            row = self.model.objects.filter(pk=pk, video_id=slot.video_id).only("pk", "review_status").first()
            of_clip, what = row is not None, "caption"
            served = row is not None and slot.queue.serves_caption(row)
        if not of_clip:
            raise InvalidInput(f"{self.model.audit_kind} #{pk} is not part of this clip")
        if not served:
            raise InvalidInput(
                f"this {what} is not {slot.queue.name!r}'s work (outside its filters, or excluded): "
                "it is shown for context only"
            )


ITEM = _Target(QAItem, Review, "item", "item_version", ("question", "options", "answer"), Review.RejectReason)
CAPTION = _Target(
    Caption,
    CaptionReview,
    "caption",
    "caption_version",
    ("coarse_label", "fine_label", "description"),
    CaptionReview.RejectReason,
)


@records_refusals
def review_record(
    *,
    slot: QueueSlot,
    item: QAItem,
    user: User,
    decision: str,
    seen_version: int,
    reason: str = "",
    reject_reasons: Sequence[str] = (),
    seconds_spent: int | None = None,
    fix: dict | None = None,
    evidence_start_frame: int | None = None,
    evidence_end_frame: int | None = None,
) -> Review:
    """One decision on a question of the clip; a fix edits the item first. The evidence span (both frames or
    neither) is the frames that show the answer (``review.services.evidence_spans``)."""
    return _decide(
        ITEM,
        slot=slot,
        pk=item.pk,
        user=user,
        decision=decision,
        seen_version=seen_version,
        reason=reason,
        reject_reasons=reject_reasons,
        seconds_spent=seconds_spent,
        fix=fix,
        span_ends=(evidence_start_frame, evidence_end_frame),
    )


@records_refusals
def caption_review_record(
    *,
    slot: QueueSlot,
    caption: Caption,
    user: User,
    decision: str,
    seen_version: int,
    reason: str = "",
    reject_reasons: Sequence[str] = (),
    seconds_spent: int | None = None,
    fix: dict | None = None,
) -> CaptionReview:
    """One decision on the clip's structured caption; a fix edits it first."""
    return _decide(
        CAPTION,
        slot=slot,
        pk=caption.pk,
        user=user,
        decision=decision,
        seen_version=seen_version,
        reason=reason,
        reject_reasons=reject_reasons,
        seconds_spent=seconds_spent,
        fix=fix,
    )


@records_refusals
def slot_hand_score_record(*, slot: QueueSlot, prediction, user: User, scores) -> None:
    """A person scores a model's open answer from the clip they hold, once its reference is shown to them."""
    with transaction.atomic():
        slot = held_slot(slot_id=slot.pk, user=user, action="hand score")
        blind_phase_check(slot=slot, user=user, target_kind="prediction", target_id=prediction.pk, action="hand score")
        ITEM.served_check(slot=slot, pk=prediction.item_id)
        human_score_record(prediction=prediction, user=user, scores=scores)
        lease_renew(slot=slot)


def _decide(
    target: _Target,
    *,
    slot: QueueSlot,
    pk: int,
    user: User,
    decision: str,
    seen_version: int,
    reason: str,
    reject_reasons,
    seconds_spent: int | None,
    fix: dict | None,
    span_ends: tuple[int | None, int | None] = (None, None),
):
    reject_reasons = _checked_reasons(
        target, decision=decision, reject_reasons=list(reject_reasons), reason=reason, fix=fix
    )
    actor = Actor.person(user)
    with transaction.atomic():
        slot = held_slot(slot_id=slot.pk, user=user, action=f"decide {target.link}")
        frame_count = _lock_clip(slot)
        kind = target.model.audit_kind
        facts = _item_facts(slot, user, pk) if target.model is QAItem else None
        blind_phase_check(
            slot=slot,
            user=user,
            target_kind=kind,
            target_id=pk,
            action=f"{decision} {target.link}",
            left=facts.blind_left if facts else None,
        )
        target.served_check(slot=slot, pk=pk, facts=facts)
        if facts is not None:
            decided = facts.decided
        else:
            decided = target.review_model.objects.filter(slot=slot, reviewer=user, **{f"{target.link}_id": pk}).exists()
        if decided:
            raise AlreadyDecided(f"you decided this {target.link} already in this clip's review").recording(
                actor=actor, target_kind=kind, target_id=pk, after={"decision": decision, "slot": slot.pk}
            )
        start, end = span_ends
        span = evidence_span_checked(start_frame=start, end_frame=end, frame_count=frame_count)
        current = _judged_version(target, pk, seen_version, actor, decision, fix, reason)
        if decision == D.FIX:
            assert fix is not None  # _checked_reasons refuses a fix without fields
            _fix_changes_something(target, current, fix)
            current = target.edit_fix(pk=pk, actor=actor, version=current.version, fix=fix, reason=reason)
        blind_answer = facts.blind_answer if facts else ""
        review = _review_row(
            target, slot, current, user, decision, reject_reasons, reason, seconds_spent, span, blind_answer
        )
        completes = _complete_slot_if_done(slot, user)
        record_action(
            actor=actor,
            event_type=AuditEvent.EventType.REVIEWED,
            target_kind=kind,
            target_id=pk,
            version=current.version,
            after={
                "decision": decision,
                "reject_reasons": reject_reasons,
                "note": reason,
                "slot": slot.pk,
                "stage": slot.queue.stage,
                "completes_clip": completes,
                **(_span_payload(span) if target.model is QAItem else {}),
            },
        )
        if not completes:
            lease_renew(slot=slot)
    return review


def _lock_clip(slot: QueueSlot) -> int | None:
    """Decisions on one clip take its video row first (after the slot), so two people completing their copies
    at once settle its items one after the other instead of deadlocking on them (docs/locking.md). Returns the
    clip's decoded frame count (what an evidence span is checked against; None until its frames are decoded:
    before that, ``frame_count`` is only what the container declares)."""
    video = Video.objects.select_for_update(no_key=True).only("pk", "frame_count", "frames_manifest")
    clip = video.get(pk=slot.video_id)
    return clip.frame_count if clip.frames_manifest else None


def _span_payload(span: EvidenceSpan | None) -> dict:
    """A question's ``reviewed`` event names its evidence span (null ends: none marked); the release provenance
    reads it from there."""
    return {START: span.start_frame if span else None, END: span.end_frame if span else None}


def _review_row(
    target: _Target,
    slot: QueueSlot,
    current,
    user: User,
    decision: str,
    reject_reasons,
    reason: str,
    seconds_spent: int | None,
    span: EvidenceSpan | None,
    blind_answer: str,
):
    values = {
        "slot": slot,
        target.link: current,
        target.version_field: current.version,
        "reviewer": user,
        "stage": slot.queue.stage,
        "decision": decision,
        "reject_reasons": reject_reasons,
        "reason": reason,
        "seconds_spent": seconds_spent,
    }
    if target.model is QAItem:
        values["blind_answer"] = blind_answer
        values[START], values[END] = (span.start_frame, span.end_frame) if span else (None, None)
    return target.review_model.objects.create(**values)


def _edited_since(model, pk: int, seen_version: int) -> bool:
    """Whether the content changed after the version a person saw. Status moves (another reviewer's decision
    settling the item) bump the version too, but do not change what the person judged."""
    return AuditEvent.objects.filter(
        target_kind=model.audit_kind,
        target_id=pk,
        target_version__gt=seen_version,
        event_type=AuditEvent.EventType.EDITED,
    ).exists()


def _judged_version(target: _Target, pk: int, seen_version: int, actor: Actor, decision: str, fix, reason: str):
    """The current row (locked until commit), if the person judged what it holds: a version that does not
    exist yet, or an older one whose content was edited since, is a conflict."""
    current = target.model.objects.select_for_update(no_key=True).get(pk=pk)
    stale = seen_version > current.version or seen_version < 1
    if stale or (seen_version < current.version and _edited_since(target.model, pk, seen_version)):
        conflict = stale_edit(
            current,
            actor=actor,
            changes=fix or {f: getattr(current, f) for f in target.shown},
            seen_version=seen_version,
            reason=reason,
        )
        assert conflict.attempt is not None  # set by stale_edit
        conflict.attempt["after"] = {"decision": decision, **(conflict.attempt["after"] if fix else {})}
        raise conflict
    return current


def _complete_slot_if_done(slot: QueueSlot, user: User) -> bool:
    open_items, caption_open = slot_open_work(slot, user)
    if open_items or caption_open:
        return False
    QueueSlot.objects.filter(pk=slot.pk).update(completed_by=user, completed_at=timezone.now())
    actor = Actor.person(user)
    copies = QueueSlot.objects.filter(queue_id=slot.queue_id, video_id=slot.video_id).count()
    items = [r.item for r in Review.objects.filter(slot=slot, reviewer=user).select_related("item").order_by("item_id")]
    counted = defaultdict(list)  # this queue's round: every counted review of the clip's items in it, in one query
    for item_id, decision, blind_answer in (
        Review.objects.counted()
        .filter(item__in=items, slot__queue_id=slot.queue_id)
        .values_list("item_id", "decision", "blind_answer")
    ):
        counted[item_id].append((decision, blind_answer))
    for item in items:
        _settle_item(item, counted[item.pk], copies, slot, actor)
    for caption_id, status_now in Caption.objects.filter(reviews__slot=slot, reviews__reviewer=user).values_list(
        "pk", "review_status"
    ):
        decisions = CaptionReview.objects.counted().filter(caption_id=caption_id, slot__queue_id=slot.queue_id)
        decisions = list(decisions.values_list("decision", flat=True))
        _settle(Caption, caption_id, status_now, decisions, False, copies, slot, actor)
    return True


def _settle_item(item: QAItem, reviews: list[tuple[str, str]], copies: int, slot: QueueSlot, actor: Actor) -> None:
    answers = {blind_answer for _, blind_answer in reviews if blind_answer}
    disputed = len(answers) > 1 or bool(answers and item.answer and answers != {item.answer})
    decisions = [decision for decision, _ in reviews]
    _settle(QAItem, item.pk, item.review_status, decisions, disputed, copies, slot, actor)


def _settle(
    model: type[QAItem] | type[Caption],
    pk: int,
    status_now: str,
    decisions: list[str],
    answers_disputed: bool,
    copies: int,
    slot: QueueSlot,
    actor: Actor,
) -> None:
    """Move the target's status once this queue's round is in: a review from each of the clip's ``copies`` in
    the queue (``status_now`` read under the clip's lock)."""
    if len(decisions) < copies:  # more reviews to come
        if status_now == S.IMPORTED:
            review_status_set(model=model, pk=pk, status=S.IN_REVIEW, actor=actor, expected_version=None)
        return
    accepts = {d in (D.ACCEPT, D.FIX) for d in decisions}
    if len(accepts) > 1 or answers_disputed:
        outcome = RoundOutcome.DISPUTED
    else:
        outcome = RoundOutcome.ACCEPT if accepts == {True} else RoundOutcome.REJECT
    status = round_settles(
        current=status_now,
        outcome=outcome,
        reopens_excluded=slot.queue.reopens_excluded,
        content_changed=lambda: _edited_since_status_set(model, pk),
    )
    if status is None:
        return
    review_status_set(
        model=model,
        pk=pk,
        status=status,
        actor=actor,
        expected_version=None,
        reason=f"{counted(len(decisions), 'review')} in {slot.queue.name}",
    )


def _edited_since_status_set(model, pk: int) -> bool:
    """Whether the content was edited (a fix, or any edit) after the target's review status was last set. A pure
    reorder of the options (``is_pure_reorder``: same texts, same key text) changed nothing a person judged."""
    events = AuditEvent.objects.filter(target_kind=model.audit_kind, target_id=pk)
    status_set = events.filter(event_type=AuditEvent.EventType.STATUS_CHANGED).order_by("-id").values("id")[:1]
    edits = events.filter(event_type=AuditEvent.EventType.EDITED, id__gt=Coalesce(Subquery(status_set), 0))
    return any(not is_pure_reorder(before, after) for before, after in edits.values_list("before", "after"))


class SlotWork(NamedTuple):
    """What a person still has to do on the clip they hold."""

    open_items: int  # questions the queue serves that they have not decided
    caption_open: bool  # whether the caption still needs their decision
    blind_left: int  # closed questions the queue serves still to answer from the video (0 outside blind queues)


_SLOT_WORK_SQL = """
    SELECT (SELECT COUNT(*) FROM {item} i WHERE i.video_id = %(video)s AND {served}
             AND NOT EXISTS (SELECT 1 FROM {review} r WHERE r.slot_id = %(slot)s AND r.item_id = i.id
                             AND r.reviewer_id = %(user)s)),
           (NOT %(scoped)s AND EXISTS (SELECT 1 FROM {caption} c WHERE c.video_id = %(video)s
             AND (%(reopens_excluded)s OR c.review_status <> %(excluded)s)
             AND NOT EXISTS (SELECT 1 FROM {caption_review} r WHERE r.slot_id = %(slot)s
                             AND r.caption_id = c.id AND r.reviewer_id = %(user)s))),
           (SELECT b.kind FROM {benchmark} b JOIN {video} v ON v.benchmark_id = b.id WHERE v.id = %(video)s),
           CASE WHEN %(blind)s THEN (SELECT COUNT(*) FROM {item} i WHERE i.video_id = %(video)s AND {served}
             AND i.task IN ({closed_tasks})
             AND NOT EXISTS (SELECT 1 FROM {blind_answer} a WHERE a.person_id = %(user)s AND a.item_id = i.id
                             AND a.stage = %(stage)s)) ELSE 0 END
"""
_SERVED_SQL = """(%(reopens_excluded)s OR i.review_status <> %(excluded)s)
             AND (NOT %(scoped)s OR EXISTS (SELECT 1 FROM {scope} s WHERE s.queue_id = %(queue)s AND s.item_id = i.id))"""


class _ItemFacts(NamedTuple):
    """What a decision on one question of the held clip is checked against, read in one query."""

    blind_left: int  # as SlotWork.blind_left
    of_clip: bool
    served: bool  # Queue.questions_served holds it
    decided: bool  # the person decided it already in this slot
    blind_answer: str  # the person's blind answer to it at the queue's stage ("" if none)


_ITEM_FACTS_SQL = """
    SELECT CASE WHEN %(blind)s THEN (SELECT COUNT(*) FROM {item} i WHERE i.video_id = %(video)s AND {served}
             AND i.task IN ({closed_tasks})
             AND NOT EXISTS (SELECT 1 FROM {blind_answer} a WHERE a.person_id = %(user)s AND a.item_id = i.id
                             AND a.stage = %(stage)s)) ELSE 0 END,
           EXISTS (SELECT 1 FROM {item} i WHERE i.id = %(item)s AND i.video_id = %(video)s),
           EXISTS (SELECT 1 FROM {item} i WHERE i.id = %(item)s AND i.video_id = %(video)s AND {served}),
           EXISTS (SELECT 1 FROM {review} r WHERE r.slot_id = %(slot)s AND r.item_id = %(item)s
                   AND r.reviewer_id = %(user)s),
           (SELECT a.answer FROM {blind_answer} a WHERE a.person_id = %(user)s AND a.item_id = %(item)s
            AND a.stage = %(stage)s)
"""


def _item_facts(slot: QueueSlot, user: User, pk: int) -> _ItemFacts:
    """The checks of a decision on question ``pk`` in one query (under the slot's and the clip's locks): the blind
    answers owed (``blind_questions_left``), whether it is the clip's and the queue serves it (``served_check``),
    whether the person decided it already, and their blind answer to copy onto the review."""
    if slot.queue.caption_only:  # serves no question, takes no blind answer
        return _ItemFacts(0, QAItem.objects.filter(pk=pk, video_id=slot.video_id).exists(), False, False, "")
    with connection.cursor() as cursor:
        cursor.execute(slot_query_sql(_ITEM_FACTS_SQL), slot_query_params(slot, user) | {"item": pk})
        blind_left, of_clip, served, decided, blind_answer = cursor.fetchone()
    return _ItemFacts(blind_left, of_clip, served, decided, blind_answer or "")


def slot_query_sql(sql: str) -> str:
    """``sql`` with its tables named and ``{served}`` (``Queue.questions_served`` of question ``i``, in SQL) and
    ``{closed_tasks}`` filled in; its parameters are ``slot_query_params``."""
    tables = {
        name: model._meta.db_table
        for name, model in (
            ("item", QAItem),
            ("review", Review),
            ("scope", QueueScopeItem),
            ("caption", Caption),
            ("caption_review", CaptionReview),
            ("video", Video),
            ("benchmark", Benchmark),
            ("blind_answer", BlindAnswer),
        )
    }
    closed = ", ".join(f"%(closed{n})s" for n in range(len(CLOSED_TASKS)))  # no arrays on SQLite
    return sql.format(served=_SERVED_SQL.format(**tables), closed_tasks=closed, **tables)


def slot_query_params(slot: QueueSlot, user: User) -> dict[str, int | bool | str]:
    queue = slot.queue
    params: dict[str, int | bool | str] = {
        "video": slot.video_id,
        "slot": slot.pk,
        "user": user.pk,
        "queue": slot.queue_id,
        "scoped": queue.scoped,
        "reopens_excluded": queue.reopens_excluded,
        "excluded": S.EXCLUDED.value,
        "blind": queue.blind,
        "stage": queue.stage,
    }
    return params | {f"closed{n}": task for n, task in enumerate(CLOSED_TASKS)}


def slot_work(slot: QueueSlot, user: User) -> SlotWork:
    """The person's open work on the clip, in one plain query (every page and every save asks it): the questions
    the queue serves (``Queue.questions_served``) not decided yet, whether the caption (``Queue.serves_caption``)
    still needs a decision, and the blind answers still owed (``BlindAnswers.questions_left``), said in SQL. A
    training corpus's caption queues (``Queue.caption_only``) serve no question and take no blind answer."""
    with connection.cursor() as cursor:
        cursor.execute(slot_query_sql(_SLOT_WORK_SQL), slot_query_params(slot, user))
        open_items, caption_open, kind, blind_left = cursor.fetchone()
    if kind == Benchmark.Kind.TRAIN and not slot.queue.scoped:  # Queue.caption_only, without its query
        return SlotWork(0, bool(caption_open), 0)
    return SlotWork(open_items, bool(caption_open), blind_left)


def slot_open_work(slot: QueueSlot, user: User) -> tuple[int, bool]:
    """Questions the slot's queue serves of its clip that the person has not decided yet, and whether the
    caption still needs their decision (``slot_work``)."""
    work = slot_work(slot, user)
    return work.open_items, work.caption_open
