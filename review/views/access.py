"""Who may work on a claimed slot (the person holding it, or an admin), and which clips a reviewer or admin
may look at (every clip but those they hold blind)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from annotation.models import Video
from review.models import QueueSlot
from review.selectors.slots import slot_with_clip


def own_slot(request, slot_id: int) -> QueueSlot:
    slot = slot_with_clip(slot_id)
    if slot is None:
        raise Http404("No QueueSlot matches the given query.")
    if slot.claimed_by_id != request.user.pk and not request.user.is_admin_role:
        raise PermissionDenied
    return slot


def browsable_video(request, video_id: int) -> Video:
    """The clip, for a person who browses content; 404 while they hold it in a blind queue without all their
    blind answers (as if it were not there: its name alone can carry the label)."""
    if video_id in request.user.clips_withheld():
        raise Http404("no such clip")
    return get_object_or_404(Video.objects.select_related("benchmark"), pk=video_id)
