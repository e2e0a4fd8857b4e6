"""Anchoring: how often a person, whose blind answer differed from the key they were then shown, kept that key.

In a blind queue a person answers a closed question from the video first, then sees the machine's key. When
their answer and the key differ, someone who judges for themselves fixes the key or rejects the question (or
concludes that the key is right after all); someone anchored on the machine accepts it as it is. One person's
high rate on many disagreements suggests the latter.

Per person and task, over the reviews given (``reviews``, a Review queryset):

- ``answered``: reviews of closed questions with a blind answer and a key to hold it against;
- ``disagreed``: of those, blind answer != the key at the version the person saw when deciding;
- ``anchored``: of those, the person kept that key: accepted, or fixed something else and left the key as it was
  (``kept_by_fix`` counts the latter);
- ``rate`` = anchored / disagreed, and ``warn`` when it exceeds ``settings.ANCHORING_WARN_RATE`` on at least
  ``settings.ANCHORING_MIN_DISAGREEMENTS`` disagreements.

The key a person saw is read from the audit trail, not from the item now: a later edit (or a reorder of the
options) changes the current key, not what the person was shown. A review stores the version it judged
(``Review.item_version``); for a fix that is the version the fix made, so the key shown is the one before it.
The comparison of a blind answer with a key is the dashboards' one (``progress.blind_answers_against``).
One grouped query, whatever the number of reviews, items or people.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.fields.json import KeyTextTransform

from annotation.domain.taxonomy import TASKS
from annotation.models import AuditEvent, QAItem
from review.models import Review

from .progress import BLIND_RIGHT, blind_answers_against

D = Review.Decision


@dataclass(frozen=True)
class AnchoringRow:
    username: str
    task: str
    answered: int
    disagreed: int
    anchored: int
    kept_by_fix: int
    rate: float | None  # anchored / disagreed; None without a disagreement
    warn: bool

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else 100 * self.rate


@dataclass(frozen=True)
class Anchoring:
    """The rows and the thresholds they were judged by (``settings.ANCHORING_*``)."""

    rows: list[AnchoringRow]
    warn_rate: float
    min_disagreements: int

    @property
    def warned(self) -> list[AnchoringRow]:
        return [row for row in self.rows if row.warn]

    @property
    def warn_percent(self) -> float:
        return 100 * self.warn_rate


def anchoring_warns(*, disagreed: int, anchored: int, warn_rate: float, min_disagreements: int) -> bool:
    """Whether a rate is worth a warning: above ``warn_rate`` on at least ``min_disagreements`` disagreements."""
    return disagreed >= max(min_disagreements, 1) and anchored / disagreed > warn_rate


def _key_up_to(version) -> Subquery:
    """The item's key as the audit trail has it at ``version`` (an expression over the outer review): the answer
    of the last created / edited event at or before it. Refused edits carry attempted values and are skipped."""
    events = AuditEvent.objects.filter(
        target_kind=QAItem.audit_kind,
        target_id=OuterRef("item_id"),
        event_type__in=(AuditEvent.EventType.CREATED, AuditEvent.EventType.EDITED),
        target_version__lte=version,
        after__has_key="answer",
    ).order_by("-id")
    return Subquery(events.annotate(key=KeyTextTransform("answer", "after")).values("key")[:1])


def _key_shown() -> Case:
    """The key the person saw when deciding: at the version they judged, or before their fix for a fix."""
    before_fix = _key_up_to(OuterRef("item_version") - 1)
    return Case(When(decision=D.FIX, then=before_fix), default=_key_up_to(OuterRef("item_version")))


def anchoring_by_person_and_task(*, reviews: QuerySet[Review]) -> Anchoring:
    """One row per person and task with a blind answer held against a key, by username then taxonomy order."""
    compared = blind_answers_against(reviews, key=_key_shown()).alias(key_after=_key_up_to(OuterRef("item_version")))
    disagreed = ~BLIND_RIGHT
    rows = (
        compared.order_by()
        .values_list("reviewer__username", "item__task")
        .annotate(
            answered=Count("pk"),
            disagreed=Count("pk", filter=disagreed),
            accepted=Count("pk", filter=disagreed & Q(decision=D.ACCEPT)),
            kept_by_fix=Count("pk", filter=disagreed & Q(decision=D.FIX, key_after=F("compared_key"))),
        )
    )
    warn_rate, min_disagreements = settings.ANCHORING_WARN_RATE, settings.ANCHORING_MIN_DISAGREEMENTS
    table = []
    for username, task, answered, n_disagreed, accepted, by_fix in rows:
        anchored = accepted + by_fix
        table.append(
            AnchoringRow(
                username=username,
                task=task,
                answered=answered,
                disagreed=n_disagreed,
                anchored=anchored,
                kept_by_fix=by_fix,
                rate=anchored / n_disagreed if n_disagreed else None,
                warn=anchoring_warns(
                    disagreed=n_disagreed,
                    anchored=anchored,
                    warn_rate=warn_rate,
                    min_disagreements=min_disagreements,
                ),
            )
        )
    order = list(TASKS)
    table.sort(key=lambda row: (row.username, order.index(row.task)))
    return Anchoring(rows=table, warn_rate=warn_rate, min_disagreements=min_disagreements)
