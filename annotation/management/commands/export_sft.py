from pathlib import Path

from django.core.management.base import CommandError

from annotation.exports.sft_export import SFT_FORMATS, MediaMissing, dataset_name, write_folder
from annotation.management.data_command import DataCommand
from annotation.selectors import release_by_tag, release_clip_rows
from annotation.services.release_integrity import ReleaseDamaged, refuse_wrong_row_count, verified_export_chunks


class Command(DataCommand):
    help = (
        "Write a training-corpus release as a fine-tuning folder: <format>.jsonl (LLaMA-Factory sharegpt with "
        "OpenAI-style messages), dataset_info.json and media/ (clip files or model-view frames, hard-linked when "
        "possible). The folder appears complete or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("benchmark", help="training corpus name")
        parser.add_argument("tag", help="release tag")
        parser.add_argument("--out", type=Path, required=True, help="folder to create (must not exist)")
        parser.add_argument(
            "--format",
            choices=tuple(SFT_FORMATS),
            default="sft-video",
            dest="fmt",
            help="clip files or model-view frames, with or without the QA turns",
        )
        parser.add_argument("--copy", action="store_true", help="copy media instead of hard-linking them")

    def handle(self, *args, benchmark, tag, out, fmt, copy, **options):
        release = release_by_tag(benchmark_name=benchmark, tag=tag)
        if release is None or release.kind != "train":
            raise CommandError(f"no training-corpus release {tag!r} of {benchmark!r}")
        try:
            refuse_wrong_row_count(release)
            summary = write_folder(
                out=out,
                fmt=fmt,
                dataset=dataset_name(benchmark, tag),
                rows=release_clip_rows(release=release),
                link=not copy,
                chunks_of=lambda rows: verified_export_chunks(release, fmt, rows),
            )
        except (MediaMissing, FileExistsError, ReleaseDamaged) as refused:
            raise CommandError(f"{refused}; nothing was written") from None
        self.stdout.write(
            f"wrote {summary.rows} conversations and {summary.media_files} media files "
            f"({summary.linked} linked, {summary.copied} copied) to {out}; "
            f"{fmt}.jsonl sha256 {release.export_sha256[fmt]}"
        )
