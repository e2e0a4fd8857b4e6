"""What a release freezes of a caption, and the provenance of released content from the audit trail."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, CharField, F, Func, JSONField, When

from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS
from annotation.domain.transitions import ReviewStatus
from annotation.models import AuditEvent, Caption, QAItem

CAPTION_FIELDS = (
    "coarse_label",
    "fine_label",
    "dominant_part",
    "other_parts",
    "direction_path",
    "phase_early",
    "phase_middle",
    "phase_late",
    "trend",
    "contact",
    "description",
    "review_status",
    "version",
)
Event = AuditEvent.EventType
VALUES_READ = (Event.EDITED, Event.STATUS_CHANGED, Event.REVIEWED)
BEFORE_READ = (Event.STATUS_CHANGED, Event.REVIEW_UNDONE)  # an undo names the decision it took back


@dataclass(frozen=True, slots=True)
class CaptionSnapshot:
    caption_id: int
    version: int
    snapshot: dict  # what a release freezes of the caption: ``CAPTION_FIELDS`` and the labels' names


def caption_snapshots(video_ids: Collection[int]) -> dict[int, CaptionSnapshot]:
    """Clip id -> its caption as a release freezes it, for the clips of ``video_ids`` that have one (one query,
    values rather than model instances)."""
    rows = Caption.objects.filter(video_id__in_array=video_ids).values_list("video_id", "pk", *CAPTION_FIELDS)
    found = {}
    for video_id, pk, *values in rows:
        snapshot = dict(zip(CAPTION_FIELDS, values, strict=True))
        snapshot["coarse_name"] = COARSE_LABELS[snapshot["coarse_label"]].name
        snapshot["fine_name"] = FINE_LABELS[snapshot["fine_label"]].name
        found[video_id] = CaptionSnapshot(caption_id=pk, version=snapshot["version"], snapshot=snapshot)
    return found


class IsoTimestamp(Func):
    """PostgreSQL's text of ``at.isoformat()`` for a timestamp read in UTC (the connection's time zone): no
    datetime is parsed and formatted again per event."""

    template = (  # isoformat leaves out the microseconds when there are none
        "regexp_replace(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), "
        "'\\.000000$', '') || '+00:00'"
    )
    output_field = CharField()


def _event_time() -> IsoTimestamp | F:
    """The events' time as ``isoformat`` text on PostgreSQL; elsewhere as a datetime (formatted by the reader)."""
    return IsoTimestamp("at") if connection.vendor == "postgresql" else F("at")


def content_provenance(kind: str, target_ids: list[int], last_event_id: int) -> dict[int, dict]:
    """Who generated, edited and reviewed each QA item or caption (``kind``), from the
    audit trail up to ``last_event_id``. A QA item's ``evidence_spans`` are the frames each person
    marked as showing its answer (decoded-stream indices, both ends included), decision by decision,
    from their ``reviewed`` events, less the decisions undone since (``review_undone`` names the event)."""
    in_range = AuditEvent.objects.filter(target_kind=kind, target_id__in_array=target_ids, id__lte=last_event_id)
    # Only edits, status changes and review decisions are read for their values: a creation's copy of the
    # whole item is not decoded (one JSON document per released item).
    events = list(
        in_range.order_by("id").values_list(
            "id",
            "target_id",
            "event_type",
            "actor_user_id",
            "actor_source",
            _event_time(),
            "target_version",
            Case(When(event_type__in=BEFORE_READ, then="before"), output_field=JSONField()),
            Case(When(event_type__in=VALUES_READ, then="after"), output_field=JSONField()),
            "reason",
        )
    )
    users = dict(get_user_model().objects.filter(pk__in={e[3] for e in events if e[3]}).values_list("pk", "username"))
    spans = kind == QAItem.audit_kind
    provenance: defaultdict[int, dict[str, Any]] = defaultdict(
        lambda: (
            {"generated_by": "", "revisions": [], "reviews": [], "adjudication": None}
            | ({"evidence_spans": []} if spans else {})
        )
    )
    undone = {(e[7] or {}).get("review_event") for e in events if e[2] == Event.REVIEW_UNDONE}
    for event_id, target_id, event_type, user_id, source, at, version, before, after, reason in events:
        record = provenance[target_id]
        who = users.get(user_id, source)
        at = at if type(at) is str else at.isoformat()
        if event_type == Event.CREATED:
            record["generated_by"], record["generated_at"] = source or who, at
            continue
        step = {"by": who, "by_person": user_id is not None, "at": at, "version": version}
        if event_type == Event.EDITED:
            assert after is not None  # edits and status changes record their values
            record["revisions"].append(step | {"fields": sorted(after), "reason": reason})
        elif event_type == Event.STATUS_CHANGED:
            assert before is not None and after is not None
            review = step | {"from": before["review_status"], "to": after["review_status"], "reason": reason}
            record["reviews"].append(review)
            if review["from"] == ReviewStatus.NEEDS_ADJUDICATION:
                record["adjudication"] = review
        elif (
            spans
            and event_type == Event.REVIEWED
            and event_id not in undone
            and (after or {}).get("evidence_start_frame") is not None
        ):
            assert after is not None
            record["evidence_spans"].append(
                step
                | {
                    "stage": after.get("stage", ""),
                    "decision": after.get("decision", ""),
                    "start_frame": after["evidence_start_frame"],
                    "end_frame": after["evidence_end_frame"],
                }
            )
    for record in provenance.values():
        record["reviewers"] = sorted({r["by"] for r in record["reviews"] if r["by_person"]})
    return {pk: provenance[pk] for pk in target_ids}


def exclusions(kind: str, excluded: dict[int, dict], last_event_id: int) -> list[dict]:
    """What a release's manifest says of each excluded QA item or caption (``kind``; ``excluded``:
    id -> what names it, in release order): who excluded it, when and why, from the last move to
    ``excluded`` in the audit trail up to ``last_event_id``. One query for the events, one for the people."""
    events = AuditEvent.objects.filter(
        target_kind=kind,
        target_id__in_array=excluded,
        event_type=Event.STATUS_CHANGED,
        after__review_status=ReviewStatus.EXCLUDED,
        id__lte=last_event_id,
    ).order_by("id")
    last = {
        target_id: (user_id, source, at, reason)
        for target_id, user_id, source, at, reason in events.values_list(
            "target_id", "actor_user_id", "actor_source", "at", "reason"
        )
    }
    users = dict(
        get_user_model().objects.filter(pk__in={e[0] for e in last.values() if e[0]}).values_list("pk", "username")
    )
    records = []
    for pk, names in excluded.items():
        user_id, source, at, reason = last.get(pk, (None, "", None, ""))
        by = users.get(user_id, source) if user_id is not None else source
        records.append(names | {"reason": reason, "excluded_by": by, "excluded_at": at.isoformat() if at else None})
    return records
