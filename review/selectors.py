"""Reads for the human side: queues and progress."""

from __future__ import annotations

from django.db.models import Count, Q

from review.models import Queue, User


def my_queues(*, user: User) -> list[Queue]:
    """The queues a person is assigned to, with their own progress and what is left."""
    return list(
        user.queues.filter(paused=False).select_related("benchmark").annotate(
            done_by_me=Count("slots", filter=Q(slots__completed_by=user)),
            open_slots=Count("slots", filter=Q(slots__completed_at__isnull=True)),
        ).order_by("benchmark__name", "name")
    )  # fmt: skip
