"""Explicit allowed-transition maps for the status fields of the domain."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models

from annotation.errors import Refused


class IllegalTransition(Refused):
    """A status change that the transition map does not allow."""

    def __init__(self, *, machine: str, target: str, current: str, requested: str, allowed: frozenset[str]):
        self.machine, self.target = machine, target
        self.current, self.requested, self.allowed = current, requested, allowed
        allowed_text = ", ".join(sorted(allowed)) or "nothing (final state)"
        super().__init__(
            f"{target}: {machine} cannot go from '{current}' to '{requested}'; allowed from '{current}': {allowed_text}"
        )


class TransitionMap:
    def __init__(self, machine: str, allowed: Mapping[str, set[str]]):
        self.machine = machine
        self.allowed = {str(state): frozenset(str(t) for t in targets) for state, targets in allowed.items()}

    def check(self, *, target: str, current: str, requested: str) -> None:
        allowed = self.allowed.get(str(current), frozenset())
        if str(requested) not in allowed:
            raise IllegalTransition(
                machine=self.machine, target=target, current=str(current), requested=str(requested), allowed=allowed
            )


class ReviewStatus(models.TextChoices):
    IMPORTED = "imported", "Imported (not yet reviewed)"
    IN_REVIEW = "in_review", "In review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    NEEDS_ADJUDICATION = "needs_adjudication", "Needs adjudication"
    EXCLUDED = "excluded", "Excluded from release"


S = ReviewStatus
REVIEW_TRANSITIONS = TransitionMap(
    "review status",
    {
        # Settled by its only review at once (overlap 1), or under review until all k are in.
        S.IMPORTED: {S.IN_REVIEW, S.ACCEPTED, S.REJECTED, S.NEEDS_ADJUDICATION, S.EXCLUDED},
        # Back to imported when a lease is released unreviewed.
        S.IN_REVIEW: {S.ACCEPTED, S.REJECTED, S.NEEDS_ADJUDICATION, S.IMPORTED},
        S.NEEDS_ADJUDICATION: {S.ACCEPTED, S.REJECTED, S.EXCLUDED},
        # Reopened for another look, or back to imported when a generator revises it.
        S.ACCEPTED: {S.IN_REVIEW, S.IMPORTED, S.EXCLUDED},
        S.REJECTED: {S.IN_REVIEW, S.IMPORTED, S.EXCLUDED},
        S.EXCLUDED: {S.IMPORTED},
    },
)


class VideoStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


V = VideoStatus
VIDEO_TRANSITIONS = TransitionMap(
    "video status",
    {
        V.PENDING: {V.PROCESSING},
        V.PROCESSING: {V.READY, V.FAILED, V.PENDING},
        V.READY: {V.PENDING},  # reprocess (--force, or a new file)
        V.FAILED: {V.PENDING},  # retry
    },
)
