"""The precomputed model-view frames of a clip, as JPEG bytes (no decoding here).

The frame pipeline writes them with the clip's manifest (``Video.frames_manifest``):
``model_view.strategies`` maps a stored strategy (``mac2026``, ``uniform-8``, ``single-frame``)
to frame indices, and ``model_view.files`` each index to its JPEG beside the manifest. A probe
(``reversed-8``, ``shuffled-8``...) sends a stored strategy's frames in its own order.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from django.core.files.storage import default_storage

from annotation.frames.outputs import read_manifest
from annotation.frames.sampling import SINGLE_FRAME, RunSampling

from .base import PredictorError


@dataclass(frozen=True)
class ModelFrame:
    index: int  # in the decoded stream
    jpeg: bytes


def stored_model_view_frames(video, sampling: RunSampling, *, seed: str = "") -> list[ModelFrame]:
    """The frames ``sampling`` sends of ``video``, in the order it sends them; ``seed`` draws a shuffled order."""
    manifest = read_manifest(video.frames_manifest)
    if manifest is None:
        raise PredictorError(f"{video.clip_name}: no frames yet (status {video.status}); run process_videos")
    strategies = manifest["model_view"]["strategies"]
    if sampling.stored not in strategies:
        raise PredictorError(
            f"{video.clip_name}: no '{sampling.stored}' frames; the pipeline made {', '.join(sorted(strategies))}"
            + ("; process_videos adds it to clips processed before it" if sampling.stored == SINGLE_FRAME else "")
        )
    folder, files = posixpath.dirname(video.frames_manifest), manifest["model_view"]["files"]
    frames = []
    for index in sampling.arranged(strategies[sampling.stored], seed=seed):
        with default_storage.open(f"{folder}/{files[str(index)]}", "rb") as handle:
            frames.append(ModelFrame(index=index, jpeg=handle.read()))
    return frames
