"""PyAV (and numpy, which the frame writers use with it), imported where a clip is first opened, decoded or
encoded rather than when Django starts: every process imports the frame modules (the admin and the video
services name them), while only the frame workers and the frame benchmark decode. ``av.open(...)``,
``av.FFmpegError`` and the rest work as with ``import av``; the first name looked up imports the package."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any


class _OnFirstUse:
    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


if TYPE_CHECKING:
    import av
    import numpy as np
else:
    av = _OnFirstUse("av")
    np = _OnFirstUse("numpy")


def video_reformatter() -> Any:
    """A new ``av.video.reformatter.VideoReformatter``."""
    from av.video.reformatter import VideoReformatter

    return VideoReformatter()
