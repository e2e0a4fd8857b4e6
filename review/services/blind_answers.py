"""The blind first look: in a blind queue a person answers every closed question of a clip that the
queue serves (its scope: ``Queue.questions_served``) from the video alone before anything
machine-made about the clip reaches them, its other questions included.

The rule is stated here once. ``blind_questions_left`` says whether a person's blind phase on a clip
is over; the page selectors show keys, references, the caption, flags and predictions only when it
is, and the review services refuse any decision before it is. A blind answer is a row of its own,
written once (a second answer to the same question is refused) and copied onto the person's review.
"""

from __future__ import annotations

from django.db import transaction
from django.template.defaultfilters import pluralize

from annotation.domain.taxonomy import CHOICE_LETTERS, TASKS, YES_NO_ANSWERS
from annotation.errors import InvalidInput, Refused
from annotation.models import AuditEvent, QAItem
from annotation.services.audited_writes import Actor, record_action, records_refusals
from review.models import BlindAnswer, QueueSlot, User

from .claims import held_slot, lease_renew


class AlreadyAnswered(Refused):
    """A blind answer is given once; the first one stands."""


class BlindAnswerMissing(Refused):
    """A decision on a blind queue's clip before the person answered its questions from the video."""


def answer_choices(item: QAItem) -> list[str]:
    return list(CHOICE_LETTERS[: len(item.options)]) if item.options else list(YES_NO_ANSWERS)


def is_blind_question(item: QAItem) -> bool:
    return not TASKS[item.task].is_open


def blind_answers_of(*, slot: QueueSlot, user: User) -> dict[int, BlindAnswer]:
    """The person's blind answers to the questions of the slot's clip, at the slot's stage, by item id."""
    rows = BlindAnswer.objects.filter(person=user, item__video_id=slot.video_id, stage=slot.queue.stage)
    return {answer.item_id: answer for answer in rows}


def blind_questions_left(*, slot: QueueSlot, user: User) -> int:
    """Closed questions the queue serves of the clip that the person has still to answer from the video
    (0 outside blind queues)."""
    return BlindAnswer.objects.questions_left(slot=slot, person=user)


def blind_phase_check(
    *, slot: QueueSlot, user: User, target_kind: str, target_id: int, action: str, left: int | None = None
) -> None:
    """Refuse (and record) a decision while the person still has questions of the clip to answer blind (``left``,
    when the caller read it already in the same transaction)."""
    if left is None:
        left = blind_questions_left(slot=slot, user=user)
    if left:
        raise BlindAnswerMissing(
            f"answer the clip's {left} remaining question{pluralize(left)} from the video first: in a blind "
            "queue keys, references and the caption come after your own answers"
        ).recording(
            actor=Actor.person(user),
            target_kind=target_kind,
            target_id=target_id,
            after={"action": action, "slot": slot.pk, "blind_questions_left": left},
        )


@records_refusals
def blind_answer_record(*, slot_id: int, item_id: int, user: User, answer: str) -> BlindAnswer:
    """Store the person's answer from the video. A bad choice raises ValueError; a second answer is refused."""
    with transaction.atomic():
        slot = held_slot(slot_id=slot_id, user=user, action="blind answer")
        item = QAItem.objects.get(pk=item_id, video_id=slot.video_id)
        served = slot.queue.questions_served(slot.video_id).filter(pk=item.pk).exists()
        if not slot.queue.blind or not is_blind_question(item) or not served:
            raise InvalidInput(f"{item.qid} takes no blind answer here", field="answer")
        if answer not in answer_choices(item):
            raise InvalidInput(
                f"answer: answer with one of {', '.join(answer_choices(item))}, not {answer!r}", field="answer"
            )
        first = BlindAnswer.objects.filter(person=user, item=item, stage=slot.queue.stage).first()
        if first is not None:
            raise AlreadyAnswered(
                f"you answered {item.qid} from the video already ({first.answer}); the first answer stands"
            ).recording(
                actor=Actor.person(user),
                target_kind=QAItem.audit_kind,
                target_id=item.pk,
                version=item.version,
                before={"blind_answer": first.answer},
                after={"blind_answer": answer, "slot": slot.pk},
            )
        blind = BlindAnswer.objects.create(
            person=user, item=item, item_version=item.version, slot=slot, stage=slot.queue.stage, answer=answer
        )
        record_action(
            actor=Actor.person(user),
            event_type=AuditEvent.EventType.BLIND_ANSWERED,
            target_kind=QAItem.audit_kind,
            target_id=item.pk,
            version=item.version,
            before=None,
            after={"blind_answer": answer, "slot": slot.pk, "stage": slot.queue.stage},
        )
        lease_renew(slot=slot)
    return blind
