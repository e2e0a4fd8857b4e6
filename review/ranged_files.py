"""Serve a stored file with HTTP Range support, so browsers can seek in a clip without fetching all of it."""

from __future__ import annotations

import re

from django.core.files.storage import Storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")  # longer numbers are no range any file has: ignored
CHUNK = 64 * 1024


def ranged_file_response(
    request, *, storage: Storage, name: str, content_type: str, cache_control: str = "private, max-age=3600"
) -> HttpResponse:
    size = storage.size(name)
    wanted = _requested_range(request.headers.get("Range", ""), size)
    if wanted is None:
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
        # FileResponse names the stored file in Content-Disposition; a clip's stored name can carry its label
        del response["Content-Disposition"]
    elif wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        start, end = wanted
        response = StreamingHttpResponse(
            _read(storage.open(name, "rb"), start, end - start + 1), status=206, content_type=content_type
        )
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


def _read(handle, start: int, length: int):
    with handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
