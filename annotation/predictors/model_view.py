"""The precomputed model-view frames of a clip, as JPEG bytes (no decoding here).

The frame pipeline writes them with the clip's manifest (``Video.frames_manifest``):
``model_view.strategies`` maps a sampling strategy (``mac2026``, ``uniform-8``...) to
frame indices, and ``model_view.files`` each index to its JPEG beside the manifest.
"""

from __future__ import annotations

import posixpath

from django.core.files.storage import default_storage

from annotation.frames.outputs import read_manifest

from .base import PredictorError


def stored_model_view_frames(video, strategy: str) -> list[bytes]:
    manifest = read_manifest(video.frames_manifest)
    if manifest is None:
        raise PredictorError(f"{video.clip_name}: no frames yet (status {video.status}); run process_videos")
    strategies = manifest["model_view"]["strategies"]
    if strategy not in strategies:
        raise PredictorError(
            f"{video.clip_name}: no '{strategy}' frames; the pipeline made {', '.join(sorted(strategies))}"
        )
    folder, files = posixpath.dirname(video.frames_manifest), manifest["model_view"]["files"]
    frames = []
    for index in strategies[strategy]:
        with default_storage.open(f"{folder}/{files[str(index)]}", "rb") as handle:
            frames.append(handle.read())
    return frames
