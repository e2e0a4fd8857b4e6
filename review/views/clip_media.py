"""A clip's media: the playable clip (browser proxy when there is one) with Range support, and the stored
scrub frame for a frame index. Two doors to the same serving code: the claimed slot's (the review page)
and the clip's own (reviewers and admins: the clip view and the adjudication page)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from annotation.frames.outputs import local_root
from annotation.media_storage import presigned_url
from annotation.models import Video
from review.permissions import may_browse_content, role_required
from review.ranged_files import ranged_file_response
from review.scrubber import scrub_view
from review.views.access import browsable_video, own_slot


def _clip_response(request, video: Video):
    name = video.proxy_file or (video.file.name if video.file else "")
    if not name or not default_storage.exists(name):
        raise Http404("this clip has no playable file yet")
    return _stored_file_response(request, name=name, content_type="video/mp4", cache_control="private, max-age=3600")


def _frame_response(request, video: Video, index: int):
    view = scrub_view(video)
    if view is None or not 0 <= index < view.frame_count:
        raise Http404(f"no frame {index} for this clip")
    # The URL carries the outputs' version (?v=), so a stored frame can be cached for long.
    return _stored_file_response(
        request,
        name=view.scrub_file(index),
        content_type="image/jpeg",
        cache_control="private, max-age=604800, immutable",
    )


def _stored_file_response(request, *, name: str, content_type: str, cache_control: str) -> HttpResponse:
    """From a bucket with MEDIA_DELIVERY=redirect: a redirect to a presigned URL (the bucket answers the
    Range requests), cacheable for half the URL's life; otherwise the bytes, streamed with Range support."""
    if settings.MEDIA_DELIVERY == "redirect" and local_root(default_storage) is None:
        expiry = settings.MEDIA_S3_URL_EXPIRY_SECONDS
        response = HttpResponseRedirect(presigned_url(default_storage, name, expire=expiry))
        response["Cache-Control"] = f"private, max-age={expiry // 2}"
        return response
    return ranged_file_response(
        request, storage=default_storage, name=name, content_type=content_type, cache_control=cache_control
    )


@require_GET
@login_required
def clip_file(request, slot_id: int):
    return _clip_response(request, own_slot(request, slot_id).video)


@require_GET
@login_required
def frame_image(request, slot_id: int, index: int):
    return _frame_response(request, own_slot(request, slot_id).video, index)


@require_GET
@role_required(may_browse_content)
def video_clip_file(request, video_id: int):
    return _clip_response(request, browsable_video(request, video_id))


@require_GET
@role_required(may_browse_content)
def video_frame_image(request, video_id: int, index: int):
    return _frame_response(request, browsable_video(request, video_id), index)


def player_context(video: Video, *, clip_route: str, frame_route: str, args: list) -> dict:
    """What templates/review/_scrubber.html needs: the scrub view, the first frame's URL, the client data
    (with the frame URL as a template) and the clip's URL, for the media served under ``args``."""
    scrub = scrub_view(video)
    first_frame = f"{reverse(frame_route, args=[*args, 0])}?v={scrub.version}" if scrub else ""
    return {
        "video": video,
        "scrub": scrub,
        "first_frame_url": first_frame,
        "scrub_data": scrub.client_data(first_frame.replace("/0.jpg?", "/{index}.jpg?")) if scrub else None,
        "clip_url": reverse(clip_route, args=args) if (video.proxy_file or video.file) else "",
    }
