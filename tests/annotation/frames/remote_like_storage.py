"""A storage without local paths, as S3 through django-storages is: the pipeline must
get by with the storage API alone. It records what was saved, in order, and can be
told to fail after a number of saves (an outage in the middle of an upload)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage


class RemoteLikeStorage(Storage):
    saved: ClassVar[list[str]] = []
    fail_after_saves: ClassVar[int | None] = None

    def __init__(self, **kwargs):
        self._files = FileSystemStorage(location=settings.MEDIA_ROOT)

    def _open(self, name, mode="rb"):
        return self._files._open(name, mode)

    def _save(self, name, content):
        if self.fail_after_saves is not None and len(self.saved) >= self.fail_after_saves:
            raise OSError("remote storage unavailable (test outage)")
        self.saved.append(name)
        return self._files._save(name, content)

    def exists(self, name):
        return self._files.exists(name)

    def delete(self, name):
        self._files.delete(name)

    def listdir(self, path):
        return self._files.listdir(path)

    def size(self, name):
        return self._files.size(name)

    def url(self, name):
        return self._files.url(name)
