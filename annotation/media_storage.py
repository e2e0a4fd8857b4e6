"""Reading and writing stored media in pieces, where Django's storage API falls short for a bucket.

``storage.open()`` on django-storages' S3 backend downloads the whole object before the first
read, so a byte range of a clip, a streamed frame or a hash of a clip would fetch everything.
Here an S3 storage is read with ranged GETs whose body is streamed, and a clip is downloaded
straight to a local file; any other storage goes through the plain API.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.files.storage import Storage

CHUNK = 1 << 20


def is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def _key(storage, name: str) -> str:
    from storages.utils import clean_name

    return storage._normalize_name(clean_name(name))  # the object key: the storage's prefix (location) + name


@dataclass
class StoredRange:
    size: int  # of the whole file
    chunks: Iterator[bytes]


def read_range(storage: Storage, name: str, start: int = 0, end: int | None = None) -> StoredRange:
    """Bytes ``start``..``end`` (inclusive; None = to the end) of a stored file, as a stream of chunks.

    Raises FileNotFoundError when the file is not there."""
    if is_s3(storage):
        return _s3_range(storage, name, start, end)
    size = storage.size(name)
    handle = storage.open(name, "rb")
    last = size - 1 if end is None else end
    return StoredRange(size=size, chunks=_file_chunks(handle, start, last - start + 1))


def read_chunks(storage: Storage, name: str) -> Iterator[bytes]:
    """The whole stored file, chunk by chunk, with bounded memory."""
    return read_range(storage, name).chunks


def download(storage: Storage, name: str, target: Path) -> None:
    """Copy a stored file to a local path (S3: a transfer-managed download, in parts for large files)."""
    if is_s3(storage):
        try:
            storage.bucket.Object(_key(storage, name)).download_file(str(target))  # type: ignore[attr-defined]
        except Exception as error:
            _raise_not_found(error, name)
            raise
        return
    with target.open("wb") as local:
        for chunk in read_chunks(storage, name):
            local.write(chunk)


def presigned_url(storage: Storage, name: str, *, expire: int) -> str:
    """A URL the browser can fetch the file from directly (S3: signed, valid ``expire`` seconds)."""
    if is_s3(storage):
        return storage.url(name, expire=expire)  # type: ignore[call-arg]
    return storage.url(name)


def overwriting(storage: Storage) -> Storage | None:
    """A copy of ``storage`` whose ``save`` replaces an existing name in one request (S3: one PUT),
    with connections of its own (so one per thread); None when the storage cannot be told to."""
    if not hasattr(storage, "file_overwrite"):
        return None
    clone = copy.copy(storage)  # S3Storage's __getstate__ drops its per-thread connections
    clone.file_overwrite = True  # type: ignore[attr-defined]
    return clone


def _s3_range(storage, name: str, start: int, end: int | None) -> StoredRange:
    wanted = f"bytes={start}-{'' if end is None else end}"
    try:
        response = storage.connection.meta.client.get_object(
            Bucket=storage.bucket_name, Key=_key(storage, name), Range=wanted
        )
    except Exception as error:
        if _status(error) == 416:  # an empty object has no byte 0
            return StoredRange(size=0, chunks=iter(()))
        _raise_not_found(error, name)
        raise
    content_range = response.get("ContentRange")  # "bytes 0-99/1234"
    size = int(content_range.rsplit("/", 1)[1]) if content_range else response["ContentLength"]
    return StoredRange(size=size, chunks=_body_chunks(response["Body"]))


def _body_chunks(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def _file_chunks(handle, start: int, length: int) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _raise_not_found(error: Exception, name: str) -> None:
    if _status(error) == 404 or getattr(error, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
        raise FileNotFoundError(f"no stored file {name}") from error
