"""The read-only clip view (reviewers and admins): the frame scrubber, the caption, every question with
its key, flags, predictions and history; and the compact player the adjudication page swaps in.

A clip the person holds blind (``User.clips_withheld``) is a 404 here, its media URLs included."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from review.permissions import may_browse_content, role_required
from review.selectors.clip_view import clip_evidence
from review.views.access import browsable_video
from review.views.clip_media import player_context

MEDIA = {"clip_route": "clip-file", "frame_route": "clip-frame"}


@require_GET
@role_required(may_browse_content)
def clip_detail(request, video_id: int):
    video = browsable_video(request, video_id)
    context = {"evidence": clip_evidence(video), **player_context(video, args=[video.pk], **MEDIA)}
    return render(request, "review/clip_detail.html", context)


@require_GET
@role_required(may_browse_content)
def clip_player(request, video_id: int):
    """The scrubber alone, small, its clip fetched only when played (the adjudication page loads it on demand)."""
    video = browsable_video(request, video_id)
    return render(request, "review/_clip_player.html", player_context(video, args=[video.pk], **MEDIA))
