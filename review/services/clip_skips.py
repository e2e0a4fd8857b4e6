"""Skip: the person hands the clip they hold back to its queue unfinished, saying why.

A skip is the holder's ``claim_release`` with a reason that is required, plus a move to the back: the
clip's open, unclaimed copies in the queue get positions after every other slot of the queue, so the
next claim (the skipper's, straight after) takes another clip and the skipped one comes round again once
the others are taken. One ``claim_released`` event records it (``after.skipped``, the new position; the
reason prefixed "skipped:"). As with any release, the skipper's decisions on the clip stay theirs and
settle nothing (``review.services.reviews``); their blind answers stay too.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from annotation.domain.input_rules import text_problem
from annotation.errors import InvalidInput
from annotation.services.audited_writes import Actor, records_refusals
from review.models import QueueSlot, User

from .claims import held_slot, slot_release

MAX_REASON = 500


def skip_reason_checked(reason: str) -> str:
    """The reason as plain text of one line (``annotation.domain.input_rules``), as every note is."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason: say why you skip this clip (it goes into the audit trail)", field="reason")
    problem = text_problem(reason, required=True, max_length=MAX_REASON, multiline=False)
    if problem:
        raise InvalidInput(f"reason: {problem}", field="reason")
    return reason


@records_refusals
def clip_skip(*, slot_id: int, user: User, reason: str) -> QueueSlot:
    """Hand the held clip back with ``reason``; returns the slot as it is now (free, at the back)."""
    reason = skip_reason_checked(reason)
    with transaction.atomic():
        slot = held_slot(slot_id=slot_id, user=user, action="skip clip")
        last = QueueSlot.objects.filter(queue_id=slot.queue_id).aggregate(last=Max("position"))["last"] or 0
        copies = (
            QueueSlot.objects.filter(queue_id=slot.queue_id, video_id=slot.video_id, completed_at__isnull=True)
            .filter(claimed_by__isnull=True)
            .exclude(pk=slot.pk)
            .order_by("position")
        )
        moved = [slot.pk, *copies.values_list("pk", flat=True)]
        for offset, pk in enumerate(moved, start=1):
            QueueSlot.objects.filter(pk=pk).update(position=last + offset)
        slot_release(
            slot.pk, user.pk, slot.lease_expires, Actor.person(user), f"skipped: {reason}", (slot.position, last + 1)
        )
    return QueueSlot.objects.get(pk=slot.pk)
