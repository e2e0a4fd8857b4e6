"""A release as a Hugging Face dataset folder: its data files (export bytes, each checked against the
release's digest as it is written) and the dataset card ``README.md``. The folder is written under a
hidden name and renamed into place, so a reader never finds half of one, nor one of a damaged release."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from annotation.errors import InvalidInput
from annotation.exports.dataset_card import DataFile, dataset_card
from annotation.models import Benchmark, Release

from .release_integrity import refuse_wrong_row_count, verified_export_chunks

DEFAULT_LICENSE = "other"  # a Hugging Face license id; name the benchmark's own with --license
# (config, path, export format, what it is); the first config is the default load_dataset reads
FOLDER_FILES = (
    ("default", "data/test.json", "mac", "the published MA-Bench / MAC rows: video, task, qid, question, answer"),
    ("questions-only", "data/questions_only.json", "questions-only", "the same questions without the answer key"),
    ("", "data/rich.jsonl", "jsonl", "one row per item with options, tier, caption and provenance"),
    ("", "release.json", "json", "the rich rows with the release header and its datasheet (release.datasheet)"),
)


def dataset_folder_write(*, release: Release, out: Path, license_id: str = DEFAULT_LICENSE) -> list[DataFile]:
    """Write ``release`` (an evaluation benchmark's) as a dataset folder at ``out`` (absent or empty)."""
    if release.kind == Benchmark.Kind.TRAIN:
        raise InvalidInput("a training corpus's folder is export_sft's (videos, frames and captions)", field="release")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out} exists and is not an empty folder; name a new one", field="out")
    refuse_wrong_row_count(release)
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        files = [_data_file(release, partial, *spec) for spec in FOLDER_FILES]
        card = dataset_card(release=release, license_id=license_id, files=files, datasheet=release.datasheet)
        (partial / "README.md").write_text(card, encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(partial, out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return files


def _data_file(release: Release, folder: Path, config: str, path: str, fmt: str, describes: str) -> DataFile:
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with target.open("wb") as handle:
        for chunk in verified_export_chunks(release, fmt):  # raises ReleaseDamaged in place of the last chunk
            digest.update(chunk)
            handle.write(chunk)
    return DataFile(config=config, path=path, fmt=fmt, sha256=digest.hexdigest(), describes=describes)
