"""Explicit allowed-transition maps for the status fields of the domain."""

from __future__ import annotations

from collections.abc import Callable, Mapping

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
        # Reopened for another look, back to imported when a generator revises it, or re-reviewed
        # (ROUND_SETTLES): a later round that disagrees sends it to adjudication; a rejected item whose
        # content was fixed since its rejection is accepted by a round that accepts it.
        S.ACCEPTED: {S.IN_REVIEW, S.IMPORTED, S.EXCLUDED, S.NEEDS_ADJUDICATION},
        S.REJECTED: {S.IN_REVIEW, S.IMPORTED, S.EXCLUDED, S.NEEDS_ADJUDICATION, S.ACCEPTED},
        # Included again, or re-decided by a queue whose status filter names excluded.
        S.EXCLUDED: {S.IMPORTED, S.ACCEPTED, S.REJECTED, S.NEEDS_ADJUDICATION},
    },
)


class RoundOutcome(models.TextChoices):
    """What one queue's round said of a target: the counted reviews of its clip's copies in that queue."""

    ACCEPT = "accept", "Every review accepts (a fix counts as accept); the content is as when the status was set"
    ACCEPT_CHANGED = "accept_changed", "Every review accepts, and the content was edited since the status was set"
    REJECT = "reject", "Every review rejects"
    DISPUTED = "disputed", "Reviews disagree, or a blind answer differs from the key or from another blind answer"


O = RoundOutcome
_FIRST_ROUND = {
    O.ACCEPT: S.ACCEPTED,
    O.ACCEPT_CHANGED: S.ACCEPTED,
    O.REJECT: S.REJECTED,
    O.DISPUTED: S.NEEDS_ADJUDICATION,
}
# Where a round moves an item (or caption) from the status it has when the round completes; a status
# missing from a row stays. Every move is one the transition map allows (tests check it).
ROUND_SETTLES: dict[str, dict[str, str]] = {
    S.IMPORTED: _FIRST_ROUND,
    S.IN_REVIEW: _FIRST_ROUND,
    # A round that confirms changes nothing; rounds that disagree on an item go to a person who adjudicates.
    S.ACCEPTED: {O.REJECT: S.NEEDS_ADJUDICATION, O.DISPUTED: S.NEEDS_ADJUDICATION},
    # Accepting what an earlier round rejected settles it only once the content changed (a fix).
    S.REJECTED: {O.ACCEPT: S.NEEDS_ADJUDICATION, O.ACCEPT_CHANGED: S.ACCEPTED, O.DISPUTED: S.NEEDS_ADJUDICATION},
    # Only an adjudication settles a dispute: a round's reviews are more evidence for it.
    S.NEEDS_ADJUDICATION: {},
    # Only in a queue whose status filter names excluded (``reopens_excluded``); no other round moves it.
    S.EXCLUDED: _FIRST_ROUND,
}


def round_settles(
    *, current: str, outcome: str, reopens_excluded: bool, content_changed: Callable[[], bool]
) -> str | None:
    """The status a completed round moves a target to from ``current``, or None when it stays. ``outcome`` is
    accept, reject or disputed; ``content_changed`` (asked only where the table tells the two accepts apart)
    says whether the content was edited since the target's status was set."""
    if current == S.EXCLUDED and not reopens_excluded:
        return None
    row = ROUND_SETTLES[current]
    if outcome == O.ACCEPT and row.get(O.ACCEPT) != row.get(O.ACCEPT_CHANGED) and content_changed():
        outcome = O.ACCEPT_CHANGED
    return row.get(outcome)


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


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Validating"
    WRITING = "writing", "Writing"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected (problems in the file; nothing written)"
    FAILED = "failed", "Failed (nothing written)"


J = ImportJobStatus
IMPORT_JOB_TRANSITIONS = TransitionMap(
    "import job status",
    {
        J.QUEUED: {J.VALIDATING, J.FAILED},
        # A lost worker's job (no heartbeat; its write had not committed) is claimed again from the start,
        # or queued again by a reconciler.
        J.VALIDATING: {J.WRITING, J.REJECTED, J.FAILED, J.QUEUED, J.VALIDATING},
        J.WRITING: {J.DONE, J.REJECTED, J.FAILED, J.QUEUED, J.VALIDATING},
        J.FAILED: {J.QUEUED},  # retried
        J.DONE: set(),
        J.REJECTED: set(),
    },
)
