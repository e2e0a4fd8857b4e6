"""A clip's history from the audit trail, in words: who did what to each question, the caption and their
flags, and when. One query for every event of the clip, whatever their number."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from annotation.domain.transitions import ReviewStatus
from annotation.models import AuditEvent, Caption, QAItem, QualityFlag
from review.models import Queue, Review, reject_reasons_in_words

Event = AuditEvent.EventType
SHOWN_CHARS = 80  # an edited value longer than this is cut in the history line


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    by_person: bool
    what: str
    version: int | None


def clip_history(
    *, items: list[QAItem], caption: Caption | None, flags: list[QualityFlag]
) -> dict[tuple[str, int | None], list[HistoryLine]]:
    """The events of ``items``, ``caption`` and ``flags`` (of those), oldest first, by what they are about:
    ``("qaitem", id)`` or ``("caption", id)``; a flag's events go to its question or caption."""
    flag_by_id = {flag.pk: flag for flag in flags}
    about = Q(target_kind=QAItem.audit_kind, target_id__in=[item.pk for item in items])
    about |= Q(target_kind=QualityFlag.audit_kind, target_id__in=list(flag_by_id))
    if caption is not None:
        about |= Q(target_kind=Caption.audit_kind, target_id=caption.pk)
    history: dict[tuple[str, int | None], list[HistoryLine]] = {}
    for event in AuditEvent.objects.filter(about).select_related("actor_user").order_by("id"):
        flag = flag_by_id.get(event.target_id) if event.target_kind == QualityFlag.audit_kind else None
        key = flag_owner(flag) if flag else (event.target_kind, event.target_id)
        line = HistoryLine(
            at=event.at,
            who=event.actor_display,
            by_person=event.actor_user_id is not None,
            what=event_in_words(event, flag=flag),
            version=event.target_version,
        )
        history.setdefault(key, []).append(line)
    return history


def flag_owner(flag: QualityFlag) -> tuple[str, int | None]:
    """What a flag is about: ``("qaitem", id)`` or ``("caption", id)``."""
    return (QAItem.audit_kind, flag.item_id) if flag.item_id else (Caption.audit_kind, flag.caption_id)


def event_in_words(event: AuditEvent, *, flag: QualityFlag | None = None) -> str:
    """What an event did, as a sentence a person reads; machine text stays text (templates escape it)."""
    after, before = event.after or {}, event.before or {}
    words: dict[str, Callable[[], str]] = {
        Event.CREATED: lambda: f"created as version {event.target_version}",
        Event.EDITED: lambda: "edited " + "; ".join(_change(name, before.get(name), after[name]) for name in after),
        Event.STATUS_CHANGED: lambda: (
            f"status {_status(before.get('review_status'))} → {_status(after.get('review_status'))}"
        ),
        Event.EDIT_REFUSED: lambda: f"edit refused: made on version {event.target_version}, no longer the current one",
        Event.BLIND_ANSWERED: lambda: f"{_stage(after)}answered {after.get('blind_answer', '?')} from the video",
        Event.REVIEWED: lambda: _review(after),
        Event.REVIEW_UNDONE: lambda: f"{_stage(after)}undid their decision ({_review(before)})",
        Event.FLAG_WAIVED: lambda: f"waived the flag {_flag(flag)}",
        Event.FLAG_UNWAIVED: lambda: f"withdrew the waiver of the flag {_flag(flag)}",
        Event.REFUSED: lambda: "refused",
    }
    what = words.get(event.event_type, lambda: event.get_event_type_display().lower())()
    return f"{what}: {event.reason}" if event.reason else what


def _change(name: str, old, new) -> str:
    return f"{name} “{_shown(old)}” → “{_shown(new)}”"


def _shown(value) -> str:
    text = " / ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _status(value) -> str:
    return ReviewStatus(value).label.lower() if value in ReviewStatus.values else str(value)


def _stage(after: dict) -> str:
    stage = after.get("stage")
    return f"{Queue.Stage(stage).label.lower()}: " if stage in Queue.Stage.values else ""


DECIDED = {Review.Decision.ACCEPT: "accepted", Review.Decision.FIX: "fixed", Review.Decision.REJECT: "rejected"}


def _review(after: dict) -> str:
    decision = after.get("decision", "")
    reasons = reject_reasons_in_words(after.get("reject_reasons") or [])
    text = _stage(after) + DECIDED.get(decision, decision) + (f" ({', '.join(reasons)})" if reasons else "")
    if after.get("evidence_start_frame") is not None:
        text += f", evidence frames {after['evidence_start_frame']}–{after.get('evidence_end_frame')}"
    return f"{text}, noting “{after['note']}”" if after.get("note") else text


def _flag(flag: QualityFlag | None) -> str:
    return flag.get_kind_display() if flag else "(unknown)"
