"""Claiming clips from a queue: a lease that no two people can win.

On PostgreSQL the next open slot is locked with ``SELECT ... FOR UPDATE SKIP LOCKED``,
so concurrent claimers pass over each other's rows instead of waiting or colliding.
Everywhere (SQLite included) the claim itself is a conditional UPDATE whose row count is
checked: it succeeds only if the slot is still free or its lease has expired. A person
never gets a clip they already have (claimed or done) in another slot of the same stage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from review.models import Queue, QueueSlot, User

MAX_ATTEMPTS = 20


class NothingToClaim(Exception):
    """The queue has no clip left for this person."""


class QueuePaused(Exception):
    pass


def _free(now) -> Q:
    return Q(claimed_by__isnull=True) | Q(lease_expires__lt=now)


def _candidates(queue: Queue, user: User, now):
    mine = QueueSlot.objects.filter(queue__benchmark_id=queue.benchmark_id, queue__stage=queue.stage) \
        .filter(Q(completed_by=user) | Q(claimed_by=user, completed_at__isnull=True, lease_expires__gte=now)) \
        .values("video_id")  # fmt: skip
    return QueueSlot.objects.filter(queue=queue, completed_at__isnull=True).filter(_free(now)) \
        .exclude(video_id__in=mine).order_by("position")  # fmt: skip


class Claim(NamedTuple):
    slot_id: int
    resumed: bool  # the person's unfinished claim, handed back


def claim_next(*, queue: Queue, user: User) -> QueueSlot:
    """The person's current claim in ``queue``, or a new one on the next free slot."""
    return QueueSlot.objects.get(pk=claim_next_id(queue=queue, user=user).slot_id)


def claim_next_id(*, queue: Queue, user: User) -> Claim:
    """As ``claim_next``, the slot's id only (what a redirect needs: one query less)."""
    if queue.paused:
        raise QueuePaused(f"queue {queue.name!r} is paused")
    now = timezone.now()
    current = QueueSlot.objects.filter(queue=queue, claimed_by=user, completed_at__isnull=True,
                                       lease_expires__gte=now).values_list("pk", flat=True).first()  # fmt: skip
    if current:
        return Claim(current, resumed=True)
    lease = now + timedelta(seconds=queue.lease_seconds)
    for _ in range(MAX_ATTEMPTS):
        outcome = _claim_one(queue, user, now, lease)
        if outcome is None:
            raise NothingToClaim(f"no clip left for {user.username} in {queue.name!r}")
        if outcome:
            return Claim(outcome, resumed=False)
    raise NothingToClaim(f"{queue.name!r} is busy; try again")


def _claim_one(queue: Queue, user: User, now, lease) -> int | None:
    """The claimed slot's id; 0 when another claimer won the race (try again); None when none is left."""
    candidates = _candidates(queue, user, now)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True, no_key=True, of=("self",))
        slot = candidates.only("pk").first()
        if slot is None:
            return None
        won = QueueSlot.objects.filter(pk=slot.pk, completed_at__isnull=True).filter(_free(now)) \
            .update(claimed_by=user, lease_expires=lease)  # fmt: skip
        return slot.pk if won else 0


def claim_release(*, slot: QueueSlot, user: User) -> None:
    """Give a claimed clip back to the queue unfinished."""
    QueueSlot.objects.filter(pk=slot.pk, claimed_by=user, completed_at__isnull=True) \
        .update(claimed_by=None, lease_expires=None)  # fmt: skip


def expired_leases_sweep() -> int:
    """Return clips whose lease ran out to their queues (a beat task runs this)."""
    return QueueSlot.objects.filter(completed_at__isnull=True, lease_expires__lt=timezone.now()) \
        .update(claimed_by=None, lease_expires=None)  # fmt: skip
