"""Who may work on a claimed slot: the person holding it, or an admin."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from review.models import QueueSlot


def own_slot(request, slot_id: int) -> QueueSlot:
    slot = get_object_or_404(QueueSlot.objects.select_related("queue__benchmark", "video__caption"), pk=slot_id)
    if slot.claimed_by_id != request.user.pk and not request.user.is_admin_role:
        raise PermissionDenied
    return slot
