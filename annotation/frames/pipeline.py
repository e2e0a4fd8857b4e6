"""One clip through the pipeline: plan, decode once, index, manifest, publish.

Knows storage and settings, not the database: ``annotation.services.video_processing``
records the results and the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .decode_pass import DecodePlan, DecodeResult, decode_pass
from .manifest import INDEX_NAME, MANIFEST_NAME, index_document, manifest_document, manifest_matches, write_json
from .options import FrameOptions
from .outputs import SourceFile, Staging, read_manifest, version_folder
from .probe import ClipProbe, OpenClip, open_video, opened_clip
from .proxy import proxy_reason
from .pyav import av
from .sampling import model_view_indices, scrub_stride


@dataclass(frozen=True)
class ClipOutputs:
    folder: str
    manifest: dict[str, Any]
    reused: bool  # a complete manifest for the same bytes and settings was already there

    @property
    def manifest_name(self) -> str:
        return f"{self.folder}/{MANIFEST_NAME}"

    @property
    def proxy_name(self) -> str:
        proxy = self.manifest["proxy"]
        return f"{self.folder}/{proxy['file']}" if proxy else ""

    def db_fields(self) -> dict[str, Any]:
        probe = self.manifest["probe"]
        return {
            "frames_manifest": self.manifest_name,
            "scrub_stride": self.manifest["scrub"]["stride"],
            "model_view_indices": self.manifest["model_view"]["strategies"],
            "proxy_file": self.proxy_name,
            "frame_count": self.manifest["frame_count"],
            "rotation": probe["rotation"],
            "start_pts": probe["first_pts"],
        }


def produce_outputs(
    *, video_id: int, source: SourceFile, clip: OpenClip, options: FrameOptions, force: bool
) -> ClipOutputs:
    """Write every output of the opened clip, unless a complete set for these bytes and settings exists."""
    folder = version_folder(video_id=video_id, sha256=source.sha256, options=options)
    existing = read_manifest(f"{folder}/{MANIFEST_NAME}")
    if not force and manifest_matches(existing, sha256=source.sha256, options=options):
        return ClipOutputs(folder=folder, manifest=existing, reused=True)
    with Staging(video_id=video_id) as staging:
        manifest = _write_outputs(source, clip, staging.dir, options)
        staging.publish(folder, replace=force)
    return ClipOutputs(folder=folder, manifest=manifest, reused=False)


def _write_outputs(source: SourceFile, clip: OpenClip, out_dir: Path, options: FrameOptions) -> dict[str, Any]:
    probe = clip.probe
    expected = probe.container_frame_count or packet_count(source.path)
    stride = scrub_stride(expected, options.scrub_max_frames)
    strategies = _strategies(expected, probe, options)
    reason = proxy_reason(probe)
    plan = DecodePlan(scrub_stride=stride, model_indices=_union(strategies), proxy=reason is not None)
    result = decode_pass(clip, plan=plan, out_dir=out_dir, options=options)
    if result.frame_count != expected:  # the container's count was missing or wrong
        strategies = _strategies(result.frame_count, probe, options)
        _redo_model_frames(source, result, out_dir, options, wanted=_union(strategies))
    write_json(out_dir / INDEX_NAME, index_document(result, scrub_stride=stride))
    manifest = manifest_document(
        source=source.summary(),
        probe=probe,
        result=result,
        scrub_stride=stride,
        strategies=strategies,
        proxy_reason=reason,
        options=options,
    )
    write_json(out_dir / MANIFEST_NAME, manifest)  # last
    return manifest


def _strategies(frame_count: int, probe: ClipProbe, options: FrameOptions) -> dict[str, list[int]]:
    return model_view_indices(frame_count=frame_count, fps=probe.fps or Fraction(0), uniform_k=options.uniform_k)


def _union(strategies: dict[str, list[int]]) -> frozenset[int]:
    return frozenset(i for indices in strategies.values() for i in indices)


def _redo_model_frames(
    source: SourceFile, result: DecodeResult, out_dir: Path, options: FrameOptions, *, wanted: frozenset[int]
) -> None:
    """A second, model-frames-only pass for the indices the true frame count moved to."""
    for index in set(result.model_files) - wanted:
        (out_dir / result.model_files.pop(index)).unlink()
    missing = wanted - set(result.model_files)
    if missing:
        plan = DecodePlan(scrub_stride=0, model_indices=frozenset(missing), proxy=False)
        with opened_clip(source.path, max_pixels=options.max_pixels) as clip:
            again = decode_pass(clip, plan=plan, out_dir=out_dir, options=options)
        result.model_files.update(again.model_files)
        result.model_size = again.model_size


def packet_count(path: Path) -> int:
    """Frames the demuxer holds, without decoding: the plan's guess when the container has no count."""
    with open_video(path) as (container, stream):
        try:
            return sum(1 for packet in container.demux(stream) if packet.size)
        except av.FFmpegError:
            return 0  # the decode pass reports what is wrong with the stream
