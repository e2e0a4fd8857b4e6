import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotation.release_export import FORMATS, export_chunks
from annotation.selectors import release_by_tag, release_rows
from annotation.services.releases import release_manifest


class Command(BaseCommand):
    help = "Write a release's export (mac, questions-only, jsonl or json) to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("benchmark", help="benchmark name")
        parser.add_argument("tag", help="release tag, e.g. v1.0")
        parser.add_argument("--format", choices=FORMATS, default="mac", dest="fmt")
        parser.add_argument("--out", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, benchmark, tag, fmt, out, **options):
        release = release_by_tag(benchmark_name=benchmark, tag=tag)
        if release is None:
            raise CommandError(f"no release {tag!r} of benchmark {benchmark!r}")
        chunks = export_chunks(fmt, release_manifest(release), release_rows(release=release))
        if out is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            return
        partial = out.with_name(f".{out.name}.partial")
        with partial.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        partial.replace(out)  # a reader never sees half an export
        self.stderr.write(f"wrote {release.item_count} items of {benchmark} {tag} as {fmt} to {out} "
                          f"(sha256 {release.export_sha256[fmt]})")  # fmt: skip
