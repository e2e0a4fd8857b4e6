"""A reviewer scores a model's open answer by hand on the judge's three dimensions, from the review page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from annotation.models import Prediction
from annotation.services.judging import human_score_record
from review.review_access import own_slot
from review.review_page import card_response


@require_POST
@login_required
def score_prediction(request, slot_id: int, prediction_id: int):
    slot = own_slot(request, slot_id)
    prediction = get_object_or_404(Prediction.objects.select_related("item"), pk=prediction_id,
                                   item__video_id=slot.video_id)  # fmt: skip
    try:
        human_score_record(prediction=prediction, user=request.user, scores=request.POST)
    except ValueError as error:
        return card_response(request, slot, prediction.item, 400, error=str(error))
    return card_response(request, slot, prediction.item)
