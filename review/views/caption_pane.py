"""The caption pane of the review page: the clip's structured caption, every field editable with
MA-52 pickers, phase starts set from the scrubber's frame, and one accept / fix / reject decision.

It goes through the same decision path and the same response helper as the question cards."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.views.decorators.http import require_POST

from annotation.errors import DomainError, InvalidInput, error_status
from annotation.models import Caption
from annotation.services.audited_writes import EditConflict
from review.edit_diffs import field_changes
from review.forms import CaptionDecisionForm, CaptionFixForm, error_text, form_error_text
from review.models import Review
from review.selectors.review_page import caption_values, clip_caption
from review.services.reviews import caption_review_record
from review.views.access import own_slot
from review.views.fragments import caption_response, seconds_spent, seen_key


@require_POST
@login_required
def caption_decide(request, slot_id: int):
    slot = own_slot(request, slot_id)
    caption = clip_caption(slot)
    if caption is None:
        raise Http404("this clip has no caption")
    form = CaptionDecisionForm(request.POST)
    if not form.is_valid():
        return caption_response(request, slot, caption, status=400, error=form_error_text(form))
    decision, fix = form.cleaned_data["decision"], None
    try:
        if decision == Review.Decision.FIX:
            fix = _posted_fix(request.POST, caption)
        caption_review_record(
            slot=slot,
            caption=caption,
            user=request.user,
            decision=decision,
            seen_version=form.seen_version(),
            reason=form.note(),
            reject_reasons=form.cleaned_data["reject_reasons"],
            seconds_spent=seconds_spent(request, seen_key(slot)),
            fix=fix,
        )
    except EditConflict as conflict:
        current = Caption.objects.get(pk=caption.pk)
        changes = field_changes(caption_values(current, fix), fix) if fix else []
        return caption_response(
            request, slot, current, status=409, error=str(conflict), conflict={"changes": changes, "fix": fix}
        )
    except (DomainError, ValidationError) as error:
        return caption_response(request, slot, caption, status=error_status(error), error=error_text(error))
    request.session.pop(seen_key(slot), None)
    return caption_response(request, slot, caption, saved=True)


def _posted_fix(post, caption: Caption) -> dict:
    form = CaptionFixForm(post)
    if not form.is_valid():
        raise InvalidInput(form_error_text(form))
    return form.changes_to(caption)  # none at all is refused by the service, saying nothing changed
