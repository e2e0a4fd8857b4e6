"""Claiming clips from a queue: a lease that no two people can win, and one clip per person at a time.

On PostgreSQL the next open slot is locked with ``SELECT ... FOR UPDATE SKIP LOCKED``,
so concurrent claimers pass over each other's rows instead of waiting or colliding.
Everywhere (SQLite included) the claim itself is a conditional UPDATE whose row count is
checked: it succeeds only if the slot is still free or its lease has expired. A partial
unique index (``queueslot_one_open_claim_per_person``) lets a person hold at most one
unfinished clip of a queue: when two of their Start requests race, the loser gets the
winner's clip. A person never gets a clip they already have (claimed or done) in another
slot of the same stage.

Leases: a claim lasts ``queue.lease_seconds``; every accepted action on the clip and the
page's heartbeat renew it. Once it ran out the clip accepts no decision from that person
(``LeaseExpired``), and anyone may claim it. Claims, releases and expiries are audit events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from annotation.errors import DomainError, Refused
from annotation.models import AuditEvent
from annotation.plain_sql import ModelColumns, instances
from annotation.services.audited_writes import Actor, record_action, records_refusals
from review.models import Queue, QueueSlot, User

MAX_ATTEMPTS = 20
SLOT = "queueslot"
LEASE_EXPIRY = Actor.machine("lease expiry")
Event = AuditEvent.EventType


class NothingToClaim(DomainError):
    """The queue has no clip left for this person."""


class QueuePaused(Refused):
    pass


class NotYourClaim(Refused):
    """The clip is not an open claim of this person (someone else holds it, or it is done)."""


class LeaseExpired(Refused):
    """The person's lease on the clip ran out: the clip accepts no decision of theirs until they claim it again."""


def _free(now) -> Q:
    return Q(claimed_by__isnull=True) | Q(lease_expires__lt=now)


def _candidates(queue: Queue, user: User, now):
    mine = (
        QueueSlot.objects.filter(queue__benchmark_id=queue.benchmark_id, queue__stage=queue.stage)
        .filter(Q(completed_by=user) | Q(claimed_by=user, completed_at__isnull=True, lease_expires__gte=now))
        .values("video_id")
    )
    return (
        QueueSlot.objects.filter(queue=queue, completed_at__isnull=True)
        .filter(_free(now))
        .exclude(video_id__in=mine)
        .order_by("position")
    )


class Claim(NamedTuple):
    slot_id: int
    resumed: bool  # the person's unfinished claim, handed back


def claim_next(*, queue: Queue, user: User) -> QueueSlot:
    """The person's current claim in ``queue``, or a new one on the next free slot."""
    return QueueSlot.objects.get(pk=claim_next_id(queue=queue, user=user).slot_id)


def _current_claim(queue: Queue, user: User, now) -> int | None:
    return (
        QueueSlot.objects.filter(queue=queue, claimed_by=user, completed_at__isnull=True, lease_expires__gte=now)
        .values_list("pk", flat=True)
        .first()
    )


@records_refusals
def claim_next_id(*, queue: Queue, user: User) -> Claim:
    """As ``claim_next``, the slot's id only (what a redirect needs: one query less)."""
    if queue.paused:
        raise QueuePaused(f"queue {queue.name!r} is paused").recording(
            actor=Actor.person(user), target_kind="queue", target_id=queue.pk, after={"action": "claim"}
        )
    now = timezone.now()
    current, expired = _own_open_claims(queue, user, now)
    if current:
        return Claim(current, resumed=True)
    lease = now + timedelta(seconds=queue.lease_seconds)
    for _ in range(MAX_ATTEMPTS):
        try:
            outcome = _claim_one(queue, user, now, lease, expired)
            expired = []  # given back in that attempt's transaction, which committed
        except IntegrityError:  # another request of this person claimed a clip of this queue meanwhile
            current = _current_claim(queue, user, timezone.now())
            if current:
                return Claim(current, resumed=True)
            continue
        if outcome is None:
            raise NothingToClaim(f"no clip left for {user.username} in {queue.name!r}")
        if outcome:
            return Claim(outcome, resumed=False)
    raise NothingToClaim(f"{queue.name!r} is busy; try again")


_LEASE = ModelColumns(QueueSlot, "s", ("lease_expires",))


def _own_open_claims(queue: Queue, user: User, now) -> tuple[int | None, list[tuple[int, datetime]]]:
    """The person's live claim in the queue (None: none), and their unfinished claims whose lease ran out, in one
    query (the one-claim index allows one unfinished claim per person and queue)."""
    current, expired = None, []
    sql = (
        f"SELECT {_LEASE.sql} FROM {QueueSlot._meta.db_table} s"
        " WHERE s.queue_id = %s AND s.claimed_by_id = %s AND s.completed_at IS NULL"
    )
    for slot_id, lease_expires in ((s.pk, s.lease_expires) for (s,) in instances(sql, [queue.pk, user.pk], _LEASE)):
        if lease_expires is not None and lease_expires >= now:
            current = slot_id
        elif lease_expires is not None:
            expired.append((slot_id, lease_expires))
    return current, expired


def _claim_one(queue: Queue, user: User, now, lease, expired: list[tuple[int, datetime]]) -> int | None:
    """The claimed slot's id; 0 when another claimer won the race (try again); None when none is left. The
    person's own ran-out claims (``expired``) go back first, so the one-claim rule holds."""
    candidates = _candidates(queue, user, now)
    with transaction.atomic():
        for slot_id, lease_expires in expired:
            slot_release(slot_id, user.pk, lease_expires, LEASE_EXPIRY, "lease ran out")
        if connection.vendor == "postgresql":
            picked = _lock_and_claim(candidates, user, now, lease)
            if picked is None:
                return None
            slot_id, video_id, copy, claimed_before, won = picked
        else:
            slot = candidates.values_list("pk", "video_id", "copy", "claimed_by_id").first()
            if slot is None:
                return None
            slot_id, video_id, copy, claimed_before = slot
            won = bool(
                QueueSlot.objects.filter(pk=slot_id, completed_at__isnull=True)
                .filter(_free(now))
                .update(claimed_by=user, lease_expires=lease)
            )
        if won:
            record_action(
                actor=Actor.person(user),
                event_type=Event.CLAIMED,
                target_kind=SLOT,
                target_id=slot_id,
                before={"claimed_by": claimed_before},
                after={
                    "claimed_by": user.pk,
                    "queue": queue.pk,
                    "video": video_id,
                    "copy": copy,
                    "lease_expires": lease,
                },
            )
        return slot_id if won else 0


def _lock_and_claim(candidates, user: User, now, lease) -> tuple[int, int, int, int | None, bool] | None:
    """PostgreSQL: the first free candidate locked (``SKIP LOCKED``: concurrent claimers pass over each other's
    rows) and claimed in one statement, the UPDATE still checking it free (completed_at, lease): the slot's id,
    video, copy, the claimer it had before (an expired lease's) and whether the claim was won; None when no
    candidate is left."""
    picked = candidates.select_for_update(skip_locked=True, no_key=True, of=("self",))
    select_sql, select_params = picked.values_list("pk", "claimed_by_id")[:1].query.sql_with_params()
    table = QueueSlot._meta.db_table
    sql = f"""WITH picked (id, claimed_before) AS ({select_sql}),
              claimed AS (UPDATE {table} s SET claimed_by_id = %s, lease_expires = %s FROM picked
                          WHERE s.id = picked.id AND s.completed_at IS NULL
                          AND (s.claimed_by_id IS NULL OR s.lease_expires < %s)
                          RETURNING s.id, s.video_id, s.copy, picked.claimed_before)
              SELECT picked.id, claimed.video_id, claimed.copy, claimed.claimed_before, claimed.id IS NOT NULL
              FROM picked LEFT JOIN claimed ON claimed.id = picked.id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, (*select_params, user.pk, lease, now))
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3], row[4])


def slot_release(
    slot_id: int, holder_id: int, lease_expires, actor: Actor, reason: str, moved: tuple[int, int] | None = None
) -> bool:
    """Free a slot its holder has not finished, with its ``claim_released`` event; ``moved`` (from, to) is a
    skip's move of the slot to the back of the queue, done by the caller and recorded here."""
    released = QueueSlot.objects.filter(pk=slot_id, claimed_by_id=holder_id, completed_at__isnull=True).update(
        claimed_by=None, lease_expires=None
    )
    if released:
        before = {"claimed_by": holder_id, "lease_expires": lease_expires}
        after: dict = {"claimed_by": None}
        if moved is not None:
            before["position"], after["position"], after["skipped"] = moved[0], moved[1], True
        record_action(
            actor=actor,
            event_type=Event.CLAIM_RELEASED,
            target_kind=SLOT,
            target_id=slot_id,
            before=before,
            after=after,
            reason=reason,
        )
    return bool(released)


@transaction.atomic
def claim_release(*, slot: QueueSlot, actor: Actor, reason: str = "") -> bool:
    """Give a claimed clip back to the queue unfinished (its holder, or an admin for them).

    The holder's decisions on it stay theirs and settle nothing (see ``review.services.reviews``)."""
    # .first() orders by the slot's Meta ordering, which joins the queue: of=("self",) locks the slot alone.
    current = (
        QueueSlot.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=slot.pk)
        .values("claimed_by_id", "lease_expires", "completed_at")
        .first()
    )
    # django-stubs types values("claimed_by_id") of the nullable foreign key as int, not int | None
    if not current or current["claimed_by_id"] is None or current["completed_at"] is not None:  # type: ignore[redundant-expr]
        return False
    return slot_release(slot.pk, current["claimed_by_id"], current["lease_expires"], actor, reason or "released")


def expired_leases_sweep() -> int:
    """Return clips whose lease ran out to their queues (a beat task runs this); one event per clip."""
    released = 0
    with transaction.atomic():
        expired = QueueSlot.objects.filter(completed_at__isnull=True, lease_expires__lt=timezone.now())
        if connection.vendor == "postgresql":
            expired = expired.select_for_update(skip_locked=True, no_key=True, of=("self",))
        for slot_id, holder_id, lease_expires in expired.values_list("pk", "claimed_by_id", "lease_expires"):
            released += slot_release(slot_id, holder_id, lease_expires, LEASE_EXPIRY, "lease ran out")
    return released


def held_slot(*, slot_id: int, user: User, action: str) -> QueueSlot:
    """The slot, if it is a live claim of ``user`` (locked until the transaction ends); refused otherwise.

    Every action on a claimed clip goes through here, so no page or endpoint can decide on a clip
    that is not the person's, or whose lease ran out."""
    # the queue's benchmark with it: whether the queue serves questions at all (Queue.caption_only) reads it
    slot = (
        QueueSlot.objects.select_related("queue__benchmark")
        .select_for_update(no_key=True, of=("self",))
        .get(pk=slot_id)
    )
    now = timezone.now()
    actor, attempt = Actor.person(user), {"action": action}
    if slot.claimed_by_id != user.pk or slot.completed_at is not None:
        raise NotYourClaim(
            f"this clip is not an open claim of yours in {slot.queue.name!r}: start the queue again to get a clip"
        ).recording(actor=actor, target_kind=SLOT, target_id=slot.pk, after=attempt)
    if slot.lease_expires is None or slot.lease_expires < now:
        raise LeaseExpired(
            f"your lease on this clip ran out at {_clock(slot.lease_expires)}: nothing was saved; "
            f"start {slot.queue.name!r} again to claim it (or another clip)"
        ).recording(actor=actor, target_kind=SLOT, target_id=slot.pk, after=attempt)
    return slot


def lease_renew(*, slot: QueueSlot) -> datetime:
    """Extend a held slot's lease from now (inside the action's transaction, on a slot from ``held_slot``)."""
    lease = timezone.now() + timedelta(seconds=slot.queue.lease_seconds)
    with connection.cursor() as cursor:  # plain: the ORM's UPDATE cost three times its statement
        cursor.execute(
            f"UPDATE {QueueSlot._meta.db_table} SET lease_expires = %s WHERE id = %s",
            [connection.ops.adapt_datetimefield_value(lease), slot.pk],
        )
    slot.lease_expires = lease
    return lease


@records_refusals
def lease_heartbeat(*, slot_id: int, user: User) -> datetime:
    """The open review page keeps its lease alive; refused (and recorded) once it ran out or changed hands.
    A renewal is not an audit event of its own: the claim and every decision are."""
    with transaction.atomic():
        return lease_renew(slot=held_slot(slot_id=slot_id, user=user, action="heartbeat"))


def _clock(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S") if moment else "an earlier time"
