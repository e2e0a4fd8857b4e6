"""The frame index (frame number -> pts, time, offset, scrub file) and the manifest.

The manifest is written last: where it exists, every file it lists is complete.
Both are deterministic for the same source and settings (no timestamps), so a
duplicate run writes the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .decode_pass import PROXY_NAME, DecodeResult, scrub_name
from .options import FrameOptions
from .probe import ClipProbe

MANIFEST_FORMAT = "mabench-frames/1"
MANIFEST_NAME, INDEX_NAME = "manifest.json", "index.json"


def index_document(result: DecodeResult, *, scrub_stride: int) -> dict[str, Any]:
    frames = []
    for record in result.frames:
        row = asdict(record)
        if record.index % scrub_stride == 0:
            row["scrub"] = scrub_name(record.index)
        frames.append(row)
    return {"frame_count": result.frame_count, "scrub_stride": scrub_stride, "frames": frames}


def manifest_document(
    *,
    source: dict[str, Any],
    probe: ClipProbe,
    result: DecodeResult,
    scrub_stride: int,
    strategies: dict[str, list[int]],
    proxy_reason: str | None,
    options: FrameOptions,
) -> dict[str, Any]:
    scrub_files = [scrub_name(r.index) for r in result.frames if r.index % scrub_stride == 0]
    model_files = {str(i): result.model_files[i] for i in sorted(result.model_files)}
    proxy = {"file": PROXY_NAME, "size": result.proxy_size, "reason": proxy_reason} if proxy_reason else None
    return {
        "format": MANIFEST_FORMAT,
        "source": source,
        "settings_key": options.key(),
        "settings": options.output_settings(),
        "probe": _probe_summary(probe, result),
        "frame_count": result.frame_count,
        "index": INDEX_NAME,
        "scrub": {"stride": scrub_stride, "size": result.scrub_size, "count": len(scrub_files)},
        "model_view": {"size": result.model_size, "strategies": strategies, "files": model_files},
        "proxy": proxy,
        "files": sorted([INDEX_NAME, *scrub_files, *model_files.values(), *([PROXY_NAME] if proxy else [])]),
    }


def _probe_summary(probe: ClipProbe, result: DecodeResult) -> dict[str, Any]:
    first_pts = result.frames[0].pts if result.frames else None
    return {
        "format": probe.format_name,
        "codec": probe.codec,
        "pix_fmt": probe.pix_fmt,
        "profile": probe.profile,
        "width": probe.width,
        "height": probe.height,
        "rotation": result.rotation,
        "fps": str(probe.fps) if probe.fps else None,
        "time_base": str(probe.time_base),
        "container_frame_count": probe.container_frame_count,
        "decoded_frame_count": result.frame_count,
        "duration_seconds": probe.duration_seconds,
        "first_pts": first_pts,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")))


def manifest_matches(document: dict[str, Any] | None, *, sha256: str, options: FrameOptions) -> bool:
    """True when ``document`` is a complete manifest for these source bytes and settings."""
    return bool(
        document
        and document.get("format") == MANIFEST_FORMAT
        and document.get("source", {}).get("sha256") == sha256
        and document.get("settings_key") == options.key()
    )
