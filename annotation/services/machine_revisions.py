"""A generator revises a QA item or caption: the one rule, for imports and generation runs alike.

What the generator changed becomes a new revision attributed to it (the machine source),
and goes back to ``imported`` if it had been reviewed. A row a person has edited is never
overwritten: the person's version stays and an ``import_conflict`` flag shows what the
generator changed. Whether the generator changed anything is judged against what it last
wrote (folded from the trail's machine events), so a generator repeating itself is quiet.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from annotation.domain.transitions import ReviewStatus
from annotation.models import AuditEvent, Caption, QAItem, QualityFlag, json_normalized

from .audited_writes import Actor, change_audited

REVIEWED = (ReviewStatus.IN_REVIEW, ReviewStatus.ACCEPTED, ReviewStatus.REJECTED)


class RevisionOutcome(Enum):
    REVISED = "revised"
    UNCHANGED = "unchanged"
    KEPT_HUMAN_EDIT = "kept_human_edit"  # a person edited the row and the generator changed it: flagged


def machine_versions_of_human_edited(kind: str, ids: Iterable[int]) -> dict[int, dict]:
    """For rows a person has edited: the values as the generator last wrote them,
    folded from the trail's machine events."""
    edited = set(
        AuditEvent.objects.filter(
            target_kind=kind,
            target_id__in_array=list(ids),
            actor_user__isnull=False,
            event_type=AuditEvent.EventType.EDITED,
        ).values_list("target_id", flat=True)
    )
    machine_values: dict[int, dict] = {target: {} for target in edited}
    events = AuditEvent.objects.filter(
        target_kind=kind,
        target_id__in_array=list(edited),
        actor_user__isnull=True,
        event_type__in=[AuditEvent.EventType.CREATED, AuditEvent.EventType.EDITED],
    )
    for target_id, after in events.order_by("id").values_list("target_id", "after"):
        assert after is not None  # created and edited events record their values
        machine_values[target_id].update(after)
    return machine_values


def machine_revise(
    current: QAItem | Caption, values: dict, *, human_edited: dict[int, dict], actor: Actor, reason: str, origin: str
) -> RevisionOutcome:
    """Give ``current`` the generator's ``values`` as a new revision by ``actor`` (a machine source), unless a
    person edited it (``human_edited``, from ``machine_versions_of_human_edited``): then flag what changed.

    ``reason`` goes on the revision's audit event; ``origin`` (``import`` or ``generation``) on the flag."""
    if current.pk in human_edited:
        return _flag_if_changed(current, _changed(human_edited[current.pk].get, values), actor, origin)
    changes = _changed(lambda field: json_normalized(getattr(current, field)), values)
    if not changes:
        return RevisionOutcome.UNCHANGED
    if current.review_status in REVIEWED:
        changes["review_status"] = ReviewStatus.IMPORTED  # regenerated: review again
    change_audited(
        model=type(current),
        pk=current.pk,
        actor=actor,
        expected_version=None,
        reason=reason,
        changes={**changes, "generated_by": actor.source},
    )
    return RevisionOutcome.REVISED


def _changed(value_before, values: dict) -> dict:
    """The ``values`` that differ (as the audit trail's JSON would store them) from ``value_before(field)``."""
    return {k: v for k, v in values.items() if json_normalized(v) != value_before(k)}


def _flag_if_changed(current, changes: dict, actor: Actor, origin: str) -> RevisionOutcome:
    if not changes:
        return RevisionOutcome.UNCHANGED
    flag_machine_conflict(current, changes, actor, origin=origin)
    return RevisionOutcome.KEPT_HUMAN_EDIT


def flag_machine_conflict(target, changes: dict, machine: Actor, *, origin: str) -> None:
    """Flag a human-edited row that ``machine`` would have changed (an import or a generation run)."""
    is_item = isinstance(target, QAItem)
    benchmark_id = target.benchmark_id if is_item else target.video.benchmark_id
    key = f"{'item' if is_item else 'caption'}:{target.pk}"
    QualityFlag.objects.update_or_create(
        benchmark_id=benchmark_id,
        target_key=key,
        kind=QualityFlag.Kind.IMPORT_CONFLICT,
        status=QualityFlag.Status.OPEN,
        defaults={
            "item": target if is_item else None,
            "caption": None if is_item else target,
            "severity": "warning",
            "source": f"{origin}: {machine.source}",
            "target_version": target.version,
            "details": {"incoming": changes},
            "message": f"{machine.source} changed {', '.join(sorted(changes))}, but a person edited this; "
            "their version is kept. Compare and decide.",
        },
    )
