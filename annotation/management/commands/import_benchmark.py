import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from annotation.importing.problems import ImportRejected
from annotation.management.data_command import DataCommand
from annotation.services.importing import ImportFile, benchmark_import
from annotation.services.video_processing import queued_for_frames


class Command(DataCommand):
    help = (
        "Import machine-generated MA-Bench questions (JSON array or JSONL, published row shape) and/or structured "
        "captions (annotation/schemas/caption.schema.json) into a benchmark; link clip files by name. Prints a JSON "
        "summary. With any error nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, help="question file (.json or .jsonl)")
        parser.add_argument("--benchmark", required=True, help="benchmark name; created when new")
        parser.add_argument("--captions", type=Path, help="structured caption file (.json or .jsonl)")
        parser.add_argument("--videos", type=Path, help="folder of clip files named <clip>.mp4 to link")
        parser.add_argument("--source", help="generator name and version (default: the file name)")
        parser.add_argument("--user", help="username of the person importing (recorded in the audit trail)")
        parser.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
        parser.add_argument(
            "--kind",
            choices=("eval", "train"),
            help="kind of a new benchmark (default eval); must match an existing one's",
        )

    def handle(self, *args, path, benchmark, captions, videos, source, user, dry_run, kind, **options):
        try:
            summary = benchmark_import(
                benchmark_name=benchmark,
                source=source or f"import of {(path or captions or videos).name}",
                questions=self._file(path),
                captions=self._file(captions),
                videos_dir=videos,
                dry_run=dry_run,
                user=self._user(user),
                kind=kind,
            )
        except ImportRejected as rejected:
            raise CommandError(str(rejected)) from None
        self.stdout.write(json.dumps(summary.as_dict(), indent=2))
        if summary.videos_linked and not dry_run:
            self.stdout.write(queued_for_frames(summary.videos_linked))

    def _file(self, path: Path | None) -> ImportFile | None:
        if path is None:
            return None
        try:
            return ImportFile(name=str(path), content=path.read_bytes())
        except OSError as error:
            raise CommandError(f"{path}: cannot read: {error.strerror}") from None

    def _user(self, username: str | None):
        if username is None:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user {username}: no such user")
        return user
