"""The read-only clip view for reviewers and admins: the clip's caption, every question with its key,
flags, current predictions and history from the audit trail. A fixed number of queries whatever the
number of questions, flags or events; withholding (``User.clips_withheld``) is the view's job."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from annotation.domain.taxonomy import Tier
from annotation.models import Caption, QAItem, QualityFlag, Video
from review.selectors.evidence_spans import spans_by_item
from review.selectors.history import HistoryLine, clip_history, flag_owner
from review.selectors.review_page import cards_by_tier, current_predictions, model_answers

SHOWN_FLAGS = (QualityFlag.Status.OPEN, QualityFlag.Status.WAIVED)  # resolved ones live on in the history


@dataclass(frozen=True)
class ClipEvidence:
    video: Video
    caption: Caption | None
    caption_flags: list[QualityFlag]
    caption_history: list[HistoryLine]
    tiers: list[tuple[Tier, list[dict]]]  # question cards: item, flags, predictions, history, evidence spans
    question_count: int


def clip_evidence(video: Video) -> ClipEvidence:
    caption = Caption.objects.filter(video=video).first()
    items = list(QAItem.objects.filter(video=video).order_by("qid"))
    about_clip = Q(item__video=video) | Q(caption__video=video)
    flags = list(QualityFlag.objects.filter(about_clip).order_by("kind", "pk"))
    history = clip_history(items=items, caption=caption, flags=flags)
    predictions = current_predictions(items)
    spans = spans_by_item([item.pk for item in items])
    shown: dict[tuple[str, int | None], list[QualityFlag]] = {}
    for flag in flags:
        if flag.status in SHOWN_FLAGS:
            shown.setdefault(flag_owner(flag), []).append(flag)
    cards = [
        {
            "item": item,
            "flags": shown.get((QAItem.audit_kind, item.pk), []),
            "predictions": predictions[item.pk],
            "model_answers": model_answers(predictions[item.pk]),
            "history": history.get((QAItem.audit_kind, item.pk), []),
            "spans": spans[item.pk],
        }
        for item in items
    ]
    return ClipEvidence(
        video=video,
        caption=caption,
        caption_flags=shown.get((Caption.audit_kind, caption.pk), []) if caption else [],
        caption_history=history.get((Caption.audit_kind, caption.pk), []) if caption else [],
        tiers=cards_by_tier(cards),
        question_count=len(items),
    )
