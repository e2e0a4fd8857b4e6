"""The caption pane of the review page: the clip's structured caption, every field editable with
MA-52 pickers, phase starts set from the scrubber's frame, and one accept / fix / reject decision."""

from __future__ import annotations

import time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from annotation.models import Caption
from annotation.services.audited_writes import EditConflict
from annotation.taxonomy import COARSE_LABELS, Trend, fine_labels_of
from review.edit_diffs import field_changes
from review.form_errors import error_text
from review.models import CaptionReview, QueueSlot, Review
from review.review_access import own_slot
from review.services.reviews import NotYourClaim, caption_review_record

BODY_PARTS = ("head", "neck", "face", "eyes", "mouth", "shoulders", "torso", "arms", "elbows", "hands", "fingers",
              "hips", "legs", "knees", "feet")  # fmt: skip
TEXT_FIELDS = ("dominant_part", "direction_path", "phase_early", "phase_middle", "phase_late", "contact", "description")
FRAME_FIELDS = ("phase_middle_start", "phase_late_start")
EDITABLE = ("coarse_label", "fine_label", "trend", "other_parts", *TEXT_FIELDS, *FRAME_FIELDS)


def _caption_of(slot: QueueSlot) -> Caption | None:
    try:
        return slot.video.caption
    except Caption.DoesNotExist:
        return None


def caption_context(request, slot: QueueSlot, caption: Caption | None = None, **extra) -> dict:
    caption = caption or _caption_of(slot)
    if caption is None:
        return {"caption": None}
    request.session.setdefault(f"seen-caption:{slot.pk}", time.time())
    mine = (extra.get("conflict") or {}).get("fix") or {}
    return {
        "slot": slot, "caption": caption, "values": _snapshot(caption, EDITABLE) | mine, "review": CaptionReview.objects.filter(slot=slot, caption=caption).first(),
        "coarse_labels": list(COARSE_LABELS.values()), "trends": [t.value for t in Trend], "body_parts": BODY_PARTS,
        "fine_groups": [(c, fine_labels_of(c.code)) for c in COARSE_LABELS.values()],
        "reject_reasons": Review.RejectReason.choices, **extra,
    }  # fmt: skip


def caption_fix_fields(post) -> dict:
    """The caption fields as posted; frame fields are indices or empty (cleared)."""
    fields = {"coarse_label": post.get("coarse_label", ""), "fine_label": post.get("fine_label", ""),
              "trend": post.get("trend", ""),
              "other_parts": [p.strip() for p in post.get("other_parts", "").split(",") if p.strip()]}  # fmt: skip
    fields |= {name: post.get(name, "").strip() for name in TEXT_FIELDS}
    for name in FRAME_FIELDS:
        raw = post.get(name, "").strip()
        if raw and not raw.isdigit():
            raise ValueError(f"{name}: a frame index (0 or more), not {raw!r}")
        fields[name] = int(raw) if raw else None
    return fields


def _snapshot(caption: Caption, fields) -> dict:
    return {name: getattr(caption, name) for name in fields}


@require_POST
@login_required
def caption_decide(request, slot_id: int):
    slot = own_slot(request, slot_id)
    caption = _caption_of(slot)
    if caption is None:
        raise Http404("this clip has no caption")
    post, decision = request.POST, request.POST.get("decision", "")
    seen = request.session.get(f"seen-caption:{slot.pk}")
    seconds = None if seen is None else int(min(3600, max(0.0, time.time() - seen)))
    fix = None
    try:
        if decision == Review.Decision.FIX:
            fix = caption_fix_fields(post)
            fix = {k: v for k, v in fix.items() if getattr(caption, k) != v} or None
            if fix is None:
                raise ValueError("the fix changes nothing: accept the caption instead")
        caption_review_record(slot=slot, caption=caption, user=request.user, decision=decision,
                              seen_version=int(post.get("version") or 0), reason=post.get("reason", ""),
                              reject_reasons=post.getlist("reject_reasons"), seconds_spent=seconds, fix=fix)  # fmt: skip
    except EditConflict as conflict:
        current = Caption.objects.get(pk=caption.pk)
        changes = field_changes(_snapshot(current, fix), fix) if fix else []
        return _pane(request, slot, current, 409, error=str(conflict), conflict={"changes": changes, "fix": fix})
    except (ValueError, ValidationError, NotYourClaim) as error:
        return _pane(request, slot, caption, 400, error=error_text(error))
    request.session.pop(f"seen-caption:{slot.pk}", None)
    response = _pane(request, slot, Caption.objects.get(pk=caption.pk))
    response["X-Mabench-Saved"] = f"caption:{slot.pk}:{caption.pk}"
    return response


def _pane(request, slot, caption, status: int = 200, **extra):
    return render(request, "review/_caption_pane.html", caption_context(request, slot, caption, **extra), status=status)
