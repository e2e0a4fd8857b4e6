"""The claimed clip's media for the review page: the playable clip (browser proxy when there is one)
with Range support, and the stored scrub frame for a frame index."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404
from django.views.decorators.http import require_GET

from review.ranged_files import ranged_file_response
from review.scrubber import scrub_view
from review.views.access import own_slot


@require_GET
@login_required
def clip_file(request, slot_id: int):
    video = own_slot(request, slot_id).video
    name = video.proxy_file or (video.file.name if video.file else "")
    if not name or not default_storage.exists(name):
        raise Http404("this clip has no playable file yet")
    return ranged_file_response(request, storage=default_storage, name=name, content_type="video/mp4")


@require_GET
@login_required
def frame_image(request, slot_id: int, index: int):
    view = scrub_view(own_slot(request, slot_id).video)
    if view is None or not 0 <= index < view.frame_count:
        raise Http404(f"no frame {index} for this clip")
    # The URL carries the outputs' version (?v=), so a stored frame can be cached for long.
    return ranged_file_response(
        request,
        storage=default_storage,
        name=view.scrub_file(index),
        content_type="image/jpeg",
        cache_control="private, max-age=604800, immutable",
    )
