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
The comparison of a blind answer with a key is the dashboards' one (``progress.blind_answer_agrees``).
Two queries, whatever the number of reviews, items or people.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, F, QuerySet, When
from django.db.models.fields.json import KeyTextTransform

from annotation.domain.taxonomy import TASKS
from annotation.models import AuditEvent, QAItem
from review.models import Review

from .progress import blind_answer_agrees, blind_answered

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


def _key_edited() -> QuerySet:
    """The ids of the items whose key was edited at some time (a created event sets the first key)."""
    return AuditEvent.objects.filter(
        target_kind=QAItem.audit_kind, event_type=AuditEvent.EventType.EDITED, after__has_key="answer"
    ).values("target_id")


class _KeyHistory:
    """The keys by version of the ``edited`` items, folded from the audit trail: the answer of every created /
    edited event that set one (refused edits carry attempted values, not the item's)."""

    def __init__(self, edited: QuerySet) -> None:
        self.versions: dict[int, list[int]] = defaultdict(list)
        self.keys: dict[int, list[str]] = defaultdict(list)
        events = AuditEvent.objects.filter(
            target_kind=QAItem.audit_kind,
            target_id__in=edited,
            event_type__in=(AuditEvent.EventType.CREATED, AuditEvent.EventType.EDITED),
            after__has_key="answer",
        )
        rows = events.order_by("id").values_list("target_id", "target_version", KeyTextTransform("answer", "after"))
        for item_id, version, key in rows:
            self.versions[item_id].append(version)
            self.keys[item_id].append(key)

    def key_at(self, item_id: int | None, version: int, *, current: str) -> str | None:
        """The key the item had at ``version``; ``current``, its key now, for an item never edited (None)."""
        if item_id is None:
            return current
        at = bisect.bisect_right(self.versions[item_id], version)
        return self.keys[item_id][at - 1] if at else None


def anchoring_by_person_and_task(*, reviews: QuerySet[Review]) -> Anchoring:
    """One row per person and task with a blind answer held against a key, by username then taxonomy order.

    Two queries whatever the number of reviews: the key-setting events of the reviewed items whose key was
    ever edited, and the reviews, grouped by what decides their counts. An item never edited has had its
    current key since it was created (the trail rebuilds the tables), so its reviews group in SQL by that
    key; those of an edited item stay apart, by item and version, to look the key up in its history."""
    answered = blind_answered(reviews).order_by()
    history = _KeyHistory(_key_edited().filter(target_id__in=answered.values("item_id")))
    rows = (
        answered.annotate(edited_item=Case(When(item_id__in=_key_edited(), then=F("item_id"))))
        .values_list(
            "reviewer__username",
            "item__task",
            "decision",
            "blind_answer",
            "item__answer",
            "edited_item",
            "item_version",
        )
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for username, task, decision, blind, current, item_id, version, n in rows:
        # a review stores the version it judged; a fix's is the version it made, so the key shown is the one before
        seen = version - 1 if decision == D.FIX else version
        shown = history.key_at(item_id, seen, current=current)
        agrees = blind_answer_agrees(blind, shown)
        if agrees is None:
            continue
        tally = counts[(username, task)]
        tally["answered"] += n
        if agrees:
            continue
        tally["disagreed"] += n
        if decision == D.ACCEPT:
            tally["anchored"] += n
        elif decision == D.FIX and history.key_at(item_id, version, current=current) == shown:
            tally["anchored"] += n
            tally["kept_by_fix"] += n
    return _table(counts)


def _table(counts: dict[tuple[str, str], Counter[str]]) -> Anchoring:
    warn_rate, min_disagreements = settings.ANCHORING_WARN_RATE, settings.ANCHORING_MIN_DISAGREEMENTS
    order = list(TASKS)
    table = [
        AnchoringRow(
            username=username,
            task=task,
            answered=tally["answered"],
            disagreed=tally["disagreed"],
            anchored=tally["anchored"],
            kept_by_fix=tally["kept_by_fix"],
            rate=tally["anchored"] / tally["disagreed"] if tally["disagreed"] else None,
            warn=anchoring_warns(
                disagreed=tally["disagreed"],
                anchored=tally["anchored"],
                warn_rate=warn_rate,
                min_disagreements=min_disagreements,
            ),
        )
        for (username, task), tally in sorted(counts.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1])))
    ]
    return Anchoring(rows=table, warn_rate=warn_rate, min_disagreements=min_disagreements)
