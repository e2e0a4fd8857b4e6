"""Where the outputs live, through Django's storage API.

Layout: ``frames/<video id>/<sha256[:16]>-<settings key>/`` holding ``scrub/NNNNNN.jpg``,
``model/NNNNNN.jpg``, ``proxy.mp4`` (when one is needed), ``index.json`` and
``manifest.json``. Everything is written to a staging folder first. On local storage
the finished folder is renamed into place in one step (``os.replace``), so a killed
worker leaves only a hidden ``.staging-*`` folder, never a half-filled version
folder; on remote storage (django-storages' S3) the staging folder is a local temporary
one (``FRAMES_STAGING_DIR``), its files are uploaded in parallel and the manifest last,
once every other upload has finished, so its presence is the completeness marker.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.utils.functional import LazyObject, empty

from annotation.media_storage import download, overwriting, read_chunks

from .manifest import MANIFEST_NAME
from .options import FrameOptions

FRAMES_ROOT = "frames"
STAGING_PREFIX, TRASH_PREFIX = ".staging-", ".trash-"
LOCAL_STAGING_PREFIX, LOCAL_SOURCE_PREFIX = "mabench-frames-", "mabench-source-"  # remote storage's local folders
CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    path: Path  # a local file PyAV can open
    name: str  # the storage name
    sha256: str
    size: int

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


def local_root(storage: Storage = default_storage) -> Path | None:
    """The folder behind a local storage; None for remote storage (S3 and the like)."""
    try:
        return Path(storage.path(""))
    except NotImplementedError:
        return None


@contextmanager
def local_source(name: str, storage: Storage = default_storage) -> Iterator[SourceFile]:
    """The stored clip as a local file (remote storage: a temporary download), hashed on the way."""
    root = local_root(storage)
    if root is not None:
        path = Path(storage.path(name))
        with path.open("rb") as handle:
            digest, size = _hash(handle, None)
        yield SourceFile(path=path, name=name, sha256=digest, size=size)
        return
    with tempfile.TemporaryDirectory(prefix=LOCAL_SOURCE_PREFIX, dir=staging_dir()) as tmp:
        path = Path(tmp) / Path(name).name
        download(storage, name, path)
        with path.open("rb") as handle:
            digest, size = _hash(handle, None)
        yield SourceFile(path=path, name=name, sha256=digest, size=size)


def stored_sha256(name: str, storage: Storage = default_storage) -> str:
    digest = hashlib.sha256()
    for chunk in read_chunks(storage, name):
        digest.update(chunk)
    return digest.hexdigest()


def staging_dir() -> str | None:
    """Where a worker on remote storage writes before uploading (None: the system's temp folder)."""
    return settings.FRAMES_STAGING_DIR or None


def _hash(handle, copy_to) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    return digest.hexdigest(), size


def video_folder(video_id: int) -> str:
    return f"{FRAMES_ROOT}/{video_id}"


def version_folder(*, video_id: int, sha256: str, options: FrameOptions) -> str:
    return f"{video_folder(video_id)}/{sha256[:16]}-{options.key()}"


def read_manifest(name: str, storage: Storage = default_storage) -> dict[str, Any] | None:
    if not name or not storage.exists(name):
        return None
    try:
        with storage.open(name, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


class Staging:
    """A private folder the outputs are written into, then published as a whole."""

    def __init__(self, *, video_id: int, storage: Storage = default_storage):
        self.storage, self.video_id = storage, video_id
        self._root = local_root(storage)
        if self._root is not None:
            parent = self._root / video_folder(video_id)
            parent.mkdir(parents=True, exist_ok=True)
            self.dir = parent / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            self.dir.mkdir()
        else:
            self.dir = Path(tempfile.mkdtemp(prefix=LOCAL_STAGING_PREFIX, dir=staging_dir()))

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc_info) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)  # gone after publishing; else a failed run

    def publish(self, folder: str, *, replace: bool) -> None:
        """Make the staged files the contents of ``folder``; the manifest must be staged."""
        if not (self.dir / MANIFEST_NAME).is_file():
            raise RuntimeError("refusing to publish frames without their manifest")
        if self._root is not None:
            self._rename_into_place(self._root / folder, replace=replace)
        else:
            self._upload(folder)

    def _rename_into_place(self, target: Path, *, replace: bool) -> None:
        trash = target.with_name(f"{TRASH_PREFIX}{secrets.token_hex(4)}")
        if replace and target.exists():
            os.replace(target, trash)
        try:
            os.replace(self.dir, target)  # atomic; refused when a non-empty target exists
        except OSError:
            if (target / MANIFEST_NAME).is_file():
                return  # a duplicate run published first; its files are the same
            raise
        finally:
            shutil.rmtree(trash, ignore_errors=True)

    def _upload(self, folder: str) -> None:
        names = sorted(p.relative_to(self.dir).as_posix() for p in self.dir.rglob("*") if p.is_file())
        names.remove(MANIFEST_NAME)
        storage = _concrete(self.storage)
        uploads = [_upload_pool().submit(_put, storage, folder, self.dir, name) for name in names]
        wait(uploads)  # all of them, so none lands after a failed run's outputs are pruned
        for upload in uploads:
            upload.result()  # the first failure raises: then no manifest is uploaded
        _put(storage, folder, self.dir, MANIFEST_NAME)  # last: the completeness marker


def _put(storage: Storage, folder: str, source_dir: Path, relative: str) -> None:
    _uploader(storage).put(folder, source_dir, relative)  # the uploader of the thread this runs in


_pool: tuple[int, ThreadPoolExecutor] | None = None
_per_thread = threading.local()


def _upload_pool() -> ThreadPoolExecutor:
    """One pool per process (a forked worker child makes its own), so its threads keep their connections."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(max(1, settings.MEDIA_UPLOAD_THREADS), "frames-upload"))
    return _pool[1]


def _uploader(storage: Storage) -> _Uploader:
    """This thread's uploader for ``storage``: a boto3 session costs ~0.2 s to make, so it is made once."""
    cached = getattr(_per_thread, "uploader", None)
    if cached is None or cached[0] is not storage:
        cached = _per_thread.uploader = (storage, _Uploader(storage))
    return cached[1]


def _concrete(storage: Storage) -> Storage:
    """The storage behind ``default_storage`` (a lazy proxy, replaced when the STORAGES setting changes)."""
    if isinstance(storage, LazyObject):
        if storage._wrapped is empty:
            storage._setup()
        return storage._wrapped
    return storage


class _Uploader:
    """Uploads under exact names. The names are deterministic (a version folder holds the same bytes
    whoever writes it), so an existing file is replaced: S3 in one PUT, other storages delete first."""

    def __init__(self, storage: Storage):
        self._replacing = overwriting(storage)
        self.storage = self._replacing or storage

    def put(self, folder: str, source_dir: Path, relative: str) -> None:
        """Upload ``source_dir/relative`` as ``folder/relative``."""
        name = f"{folder}/{relative}"
        if self._replacing is None and self.storage.exists(name):
            self.storage.delete(name)
        with (source_dir / relative).open("rb") as handle:
            saved = self.storage.save(name, File(handle))
        if saved != name:
            raise RuntimeError(f"storage saved {name!r} as {saved!r}; the frame layout needs exact names")


def prune_video_folder(
    *, video_id: int, keep: str | None, stale_seconds: float, storage: Storage = default_storage
) -> None:
    """Remove other versions of a clip's outputs, and staging left by killed workers."""
    root = local_root(storage)
    if root is not None:
        _prune_local(root / video_folder(video_id), keep=keep, stale_seconds=stale_seconds)
        return
    _prune_local_staging(stale_seconds=stale_seconds)
    folder = video_folder(video_id)
    try:
        versions = storage.listdir(folder)[0]
    except FileNotFoundError:
        return
    for name in versions:
        if f"{folder}/{name}" != keep:
            _delete_tree(storage, f"{folder}/{name}")


def _prune_local_staging(*, stale_seconds: float) -> None:
    """Remote storage: the local staging and source folders that killed workers on this machine left."""
    root = Path(staging_dir() or tempfile.gettempdir())
    now = time.time()
    for entry in root.glob("mabench-*"):
        if entry.name.startswith((LOCAL_STAGING_PREFIX, LOCAL_SOURCE_PREFIX)) and entry.is_dir():
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime >= stale_seconds:
                    shutil.rmtree(entry, ignore_errors=True)


def _prune_local(folder: Path, *, keep: str | None, stale_seconds: float) -> None:
    if not folder.is_dir():
        return
    now = time.time()
    for entry in folder.iterdir():
        if keep and entry.name == keep.rsplit("/", 1)[-1]:
            continue
        hidden = entry.name.startswith((STAGING_PREFIX, TRASH_PREFIX))
        if hidden and now - entry.stat().st_mtime < stale_seconds:
            continue  # maybe a run still in progress
        shutil.rmtree(entry, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty: no outputs left for this clip


def _delete_tree(storage: Storage, folder: str) -> None:
    folders, files = storage.listdir(folder)
    for name in files:
        storage.delete(f"{folder}/{name}")
    for name in folders:
        _delete_tree(storage, f"{folder}/{name}")
