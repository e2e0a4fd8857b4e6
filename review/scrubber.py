"""What the frame scrubber needs about a processed clip: every frame's index and offset, the
model-view frames per sampling strategy, and where the stored scrub images are.

Frames are addressed by their index in the decoded stream; the offsets come from the
decoder's pts (annotation/frames/), so the page never computes a frame from a time.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass

from django.core.files.storage import default_storage

from annotation.frames.decode_pass import scrub_name
from annotation.frames.manifest import INDEX_NAME
from annotation.frames.outputs import read_manifest
from annotation.models import Video


@dataclass(frozen=True)
class ScrubView:
    folder: str  # storage folder of this clip's outputs (its name carries the source's sha)
    frame_count: int
    stride: int
    offsets: tuple[float, ...]  # seconds since the first frame, per frame index
    model_frames: dict[str, list[int]]

    @property
    def version(self) -> str:
        return posixpath.basename(self.folder).split("-", 1)[0]

    def shown_index(self, index: int) -> int:
        """The stored scrub frame for ``index`` (itself, unless frames were stored with a stride)."""
        return index - index % self.stride

    def scrub_file(self, index: int) -> str:
        return f"{self.folder}/{scrub_name(self.shown_index(index))}"

    def marks(self) -> list[dict]:
        """Model-view frames as scrubber marks: strategies that chose each frame, and where it sits (percent)."""
        chosen: dict[int, list[str]] = {}
        for strategy, indices in self.model_frames.items():
            for index in indices:
                chosen.setdefault(index, []).append(strategy)
        last = max(1, self.frame_count - 1)
        return [{"index": i, "strategies": s, "left": round(100 * i / last, 3)} for i, s in sorted(chosen.items())]

    def client_data(self, frame_url: str) -> dict:
        return {
            "frameCount": self.frame_count,
            "stride": self.stride,
            "offsets": self.offsets,
            "modelFrames": self.model_frames,
            "frameUrl": frame_url,
        }


def scrub_view(video: Video) -> ScrubView | None:
    """None until the clip's frames are processed."""
    if not video.frames_manifest:
        return None
    try:
        return _load(video.frames_manifest, tuple(sorted((k, tuple(v)) for k, v in video.model_view_indices.items())))
    except LookupError:
        return None


@functools.lru_cache(maxsize=512)
def _load(manifest_name: str, model_frames: tuple) -> ScrubView:
    # A manifest's folder is named by the source's sha and the settings, so its contents never change: cacheable.
    # A missing index raises, and exceptions are not cached.
    folder = posixpath.dirname(manifest_name)
    index = read_manifest(f"{folder}/{INDEX_NAME}", default_storage)
    if not index:
        raise LookupError(f"no frame index beside {manifest_name}")
    offsets = tuple(round(frame["offset"], 6) for frame in index["frames"])
    return ScrubView(
        folder=folder,
        frame_count=index["frame_count"],
        stride=index.get("scrub_stride", 1),
        offsets=offsets,
        model_frames={k: list(v) for k, v in model_frames},
    )
