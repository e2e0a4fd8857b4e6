"""Rebuild current state from the audit trail alone, and compare it with the tables.

Replaying is how the trail proves it is complete: if any write bypassed the
audited path, the rebuilt state and the stored state disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotation.models import AuditedModel, AuditEvent, Benchmark, Caption, QAItem, Video, json_normalized

AUDITED_MODELS: tuple[type[AuditedModel], ...] = (Benchmark, Video, Caption, QAItem)
_STATE_EVENTS = (AuditEvent.EventType.EDITED, AuditEvent.EventType.STATUS_CHANGED)


@dataclass(frozen=True)
class ReplayMismatch:
    kind: str
    target_id: int
    field: str
    replayed: Any
    stored: Any

    def __str__(self) -> str:
        return f"{self.kind}#{self.target_id}.{self.field}: trail says {self.replayed!r}, table has {self.stored!r}"


def replayed_state(model: type[AuditedModel]) -> dict[int, dict[str, Any]]:
    """State of every row of ``model`` as the trail tells it, version included."""
    states: dict[int, dict[str, Any]] = {}
    # A field added to the model later is absent from older creation events: it began at its default.
    defaults = {name: json_normalized(model._meta.get_field(name).get_default()) for name in model.audited_fields}
    events = AuditEvent.objects.filter(target_kind=model.audit_kind).order_by("id")
    for event in events.iterator(chunk_size=2000):
        if event.event_type == AuditEvent.EventType.CREATED:
            states[event.target_id] = {**defaults, **event.after, "version": event.target_version}
        elif event.event_type in _STATE_EVENTS:
            states[event.target_id].update(event.after, version=event.target_version)
    return states


def stored_state(model: type[AuditedModel]) -> dict[int, dict[str, Any]]:
    return {
        obj.pk: {**obj.audit_snapshot(), "version": obj.version}
        for obj in model.objects.order_by("pk").iterator(chunk_size=2000)
    }


def replay_mismatches(models: tuple[type[AuditedModel], ...] = AUDITED_MODELS) -> list[ReplayMismatch]:
    mismatches: list[ReplayMismatch] = []
    for model in models:
        replayed, stored = replayed_state(model), stored_state(model)
        for pk in sorted(replayed.keys() | stored.keys()):
            mismatches.extend(_row_mismatches(model.audit_kind, pk, replayed.get(pk), stored.get(pk)))
    return mismatches


def _row_mismatches(kind: str, pk: int, replayed: dict | None, stored: dict | None) -> list[ReplayMismatch]:
    if replayed is None or stored is None:
        return [
            ReplayMismatch(kind, pk, "(row)", "present" if replayed else "absent", "present" if stored else "absent")
        ]
    return [
        ReplayMismatch(kind, pk, field, replayed.get(field), stored[field])
        for field in stored
        if replayed.get(field) != stored[field]
    ]
