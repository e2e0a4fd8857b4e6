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

from annotation.errors import InvalidInput
from annotation.models import AuditEvent
from annotation.services.audited_writes import Actor, record_action, records_refusals
from review.models import QueueSlot, User

from .claims import SLOT, held_slot

MAX_REASON = 500


def skip_reason_checked(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason: say why you skip this clip (it goes into the audit trail)", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters", field="reason")
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
        QueueSlot.objects.filter(pk=slot.pk).update(claimed_by=None, lease_expires=None)
        record_action(
            actor=Actor.person(user),
            event_type=AuditEvent.EventType.CLAIM_RELEASED,
            target_kind=SLOT,
            target_id=slot.pk,
            before={"claimed_by": user.pk, "lease_expires": slot.lease_expires, "position": slot.position},
            after={"claimed_by": None, "skipped": True, "position": last + 1},
            reason=f"skipped: {reason}",
        )
    return QueueSlot.objects.get(pk=slot.pk)
