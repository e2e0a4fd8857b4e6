"""A reviewer scores a model's open answer by hand on the judge's three dimensions, from the review page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from annotation.errors import DomainError, error_status
from annotation.models import Prediction
from review.services.reviews import slot_hand_score_record
from review.views.access import own_slot
from review.views.fragments import card_response


@require_POST
@login_required
def score_prediction(request, slot_id: int, prediction_id: int):
    slot = own_slot(request, slot_id)
    prediction = get_object_or_404(
        Prediction.objects.select_related("item"), pk=prediction_id, item__video_id=slot.video_id
    )
    try:
        slot_hand_score_record(slot=slot, prediction=prediction, user=request.user, scores=request.POST)
    except DomainError as error:
        return card_response(request, slot, prediction.item, status=error_status(error), error=str(error))
    return card_response(request, slot, prediction.item)
