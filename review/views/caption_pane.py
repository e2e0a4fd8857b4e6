"""The caption pane of the review page: the clip's structured caption, every field editable with
MA-52 pickers, phase starts set from the scrubber's frame, and one accept / fix / reject decision.

It goes through the same decision path and the same response helper as the question cards. A refusal
is shown beside the field it names (the posted values kept in the form); the rest above the form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.views.decorators.http import require_POST

from annotation.errors import DomainError, error_status
from annotation.models import Caption
from annotation.services.audited_writes import EditConflict
from review.edit_diffs import field_changes
from review.forms import (
    CAPTION_FIELD_LABELS,
    CaptionDecisionForm,
    CaptionFixForm,
    field_errors,
    posted_caption_values,
)
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
        return _refused(request, slot, caption, form, status=400)
    decision, fix = form.cleaned_data["decision"], None
    if decision == Review.Decision.FIX:
        fix_form = CaptionFixForm(request.POST)
        if not fix_form.is_valid():
            return _refused(request, slot, caption, fix_form, status=400)
        fix = fix_form.changes_to(caption)  # none at all is refused by the service, saying nothing changed
    try:
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
        return _refused(request, slot, caption, error, status=error_status(error))
    request.session.pop(seen_key(slot), None)
    return caption_response(request, slot, caption, saved=True)


def _refused(request, slot, caption: Caption, source: Exception | CaptionFixForm | CaptionDecisionForm, *, status):
    """The pane again, each problem beside its field, the person's posted fields still in the form."""
    errors = field_errors(source, CAPTION_FIELD_LABELS)
    posted = posted_caption_values(request.POST) if request.POST.get("decision") == Review.Decision.FIX else {}
    return caption_response(
        request,
        slot,
        caption,
        status=status,
        error=errors.general,
        field_errors=errors.fields,
        field_error_labels=errors.labels,
        posted=posted,
    )
