import sys
from pathlib import Path

from django.core.management.base import CommandError

from annotation.errors import InvalidInput
from annotation.exports.release_export import FORMATS, default_format, formats_of
from annotation.exports.sft_export import FORMATS as SFT_FORMATS
from annotation.management.data_command import DataCommand
from annotation.selectors import release_by_tag
from annotation.services.dataset_folder import DEFAULT_LICENSE, dataset_folder_write
from annotation.services.release_integrity import ReleaseDamaged, refuse_wrong_row_count, verified_export_chunks


class Command(DataCommand):
    help = (
        "Write a release's export to a file or standard output: mac, questions-only, jsonl or json; for a "
        "training corpus sft-video, sft-video-qa, sft-frames, sft-frames-qa or corpus-jsonl (export_sft writes "
        "the whole fine-tuning folder with its media). A release whose stored rows no longer give its row count and "
        "digest is refused with exit status 1: no file is written (to standard output, the last part is withheld)."
    )

    def add_arguments(self, parser):
        parser.add_argument("benchmark", help="benchmark name")
        parser.add_argument("tag", help="release tag, e.g. v1.0")
        parser.add_argument(
            "--format",
            choices=(*FORMATS, *SFT_FORMATS),
            dest="fmt",
            help="default mac; sft-video for a training corpus",
        )
        parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
        parser.add_argument(
            "--hf-folder",
            type=Path,
            help="write a Hugging Face dataset folder instead (an evaluation release): README.md, the dataset card "
            "with the datasheet, and the data files; datasets.load_dataset(FOLDER) loads it",
        )
        parser.add_argument(
            "--license",
            dest="license_id",
            default=DEFAULT_LICENSE,
            help=f"the card's license, a Hugging Face id (default {DEFAULT_LICENSE})",
        )

    def handle(self, *args, benchmark, tag, fmt, out, hf_folder, license_id, **options):
        release = release_by_tag(benchmark_name=benchmark, tag=tag)
        if release is None:
            raise CommandError(f"no release {tag!r} of benchmark {benchmark!r}")
        if hf_folder is not None:
            self._folder(release, hf_folder, license_id)
            return
        fmt = fmt or default_format(release)
        if fmt not in formats_of(release):
            raise CommandError(f"a {release.kind} release exports as {', '.join(formats_of(release))}, not {fmt}")
        try:
            refuse_wrong_row_count(release)
            if out is None:
                for chunk in verified_export_chunks(release, fmt):
                    sys.stdout.buffer.write(chunk)
                return
            _write_whole(out, verified_export_chunks(release, fmt))
        except ReleaseDamaged as damaged:
            left = "the end of the output was withheld" if out is None else f"nothing was written to {out}"
            raise CommandError(f"{damaged}; {left}") from None
        self.stderr.write(
            f"wrote {release.clip_count or release.item_count} rows of {benchmark} {tag} as {fmt} to {out} "
            f"(sha256 {release.export_sha256[fmt]})"
        )

    def _folder(self, release, folder: Path, license_id: str) -> None:
        try:
            files = dataset_folder_write(release=release, out=folder, license_id=license_id)
        except (InvalidInput, ReleaseDamaged) as error:
            raise CommandError(f"{error}; nothing was written to {folder}") from None
        names = ", ".join(f.path for f in files)
        self.stderr.write(f"wrote the dataset folder {folder}: README.md (the dataset card), {names}")


def _write_whole(out: Path, chunks) -> None:
    """Write to a hidden name and rename into place: a reader never sees half an export, nor a refused one."""
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
