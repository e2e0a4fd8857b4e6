"""Serve a stored file with HTTP Range support, so browsers can seek in a clip without fetching all of it.

The bytes are streamed from the storage in chunks (a bucket: a ranged GET whose body is relayed),
never read whole into the web process."""

from __future__ import annotations

import re

from django.core.files.storage import Storage
from django.http import HttpResponse, StreamingHttpResponse

from annotation.media_storage import read_range

RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")  # longer numbers are no range any file has: ignored


def ranged_file_response(
    request, *, storage: Storage, name: str, content_type: str, cache_control: str = "private, max-age=3600"
) -> HttpResponse:
    header = request.headers.get("Range", "")
    if _requested_range(header, 1) is None:  # the whole file: one read gives the size too
        stored = read_range(storage, name)
        response = StreamingHttpResponse(stored.chunks, content_type=content_type)
        response["Content-Length"] = str(stored.size)
    else:
        size = storage.size(name)
        wanted = _requested_range(header, size)
        if wanted is None or wanted == "unsatisfiable":
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
        else:
            start, end = wanted
            stored = read_range(storage, name, start, end)
            response = StreamingHttpResponse(stored.chunks, status=206, content_type=content_type)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
            response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache_control
    return response


def _requested_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(first, last) byte of a single range, "unsatisfiable", or None for the whole file (no or multi-range)."""
    match = RANGE.fullmatch(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # suffix: the last N bytes
        length = int(last)
        return (max(0, size - length), size - 1) if length and size else "unsatisfiable"
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end
