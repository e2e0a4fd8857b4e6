from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from annotation.errors import DomainError
from annotation.management.data_command import DataCommand
from annotation.models import Benchmark
from annotation.selectors import evaluation_benchmarks
from annotation.services.releases import release_create


class Command(DataCommand):
    help = (
        "Freeze a benchmark's accepted items as a new release; refuses if it is incomplete, with one line per "
        "kind of blocker: its count, the first few and what clears them"
    )

    def add_arguments(self, parser):
        parser.add_argument("benchmark", help="benchmark name")
        parser.add_argument("tag", help="new release tag, e.g. v1.0")
        parser.add_argument("--user", required=True, help="username of the admin cutting the release")
        parser.add_argument("--notes", default="", help="release notes")
        parser.add_argument(
            "--disjoint-from",
            action="append",
            metavar="EVAL_BENCHMARK",
            dest="disjoint_from",
            help="training corpus: an evaluation benchmark it must share no participant with "
            "(repeat for several; default: every evaluation benchmark)",
        )

    def handle(self, *args, benchmark, tag, user, notes, disjoint_from, **options):
        target = Benchmark.objects.filter(name=benchmark).first()
        admin = get_user_model().objects.filter(username=user).first()
        if target is None or admin is None:
            raise CommandError(f"no benchmark {benchmark!r}" if target is None else f"no user {user!r}")
        if not admin.is_admin_role:
            raise CommandError(f"{user} is not an admin; only admins cut releases")
        try:
            against = None if disjoint_from is None else evaluation_benchmarks(names=disjoint_from)
            release = release_create(benchmark=target, tag=tag, notes=notes, user=admin, disjoint_from=against)
        except (DomainError, LookupError) as refused:  # a blocked cut: one line per kind of blocker, with its count
            raise CommandError(str(refused)) from None
        if release.kind == Benchmark.Kind.TRAIN:
            self.stdout.write(
                f"released {target.name} {tag}: {release.clip_count} clips, {release.item_count} QA items, "
                f"no participant shared with {', '.join(release.disjoint_from) or 'any evaluation benchmark (none exist)'}, "
                f"sha256 {release.sha256}"
            )
            return
        self.stdout.write(f"released {target.name} {tag}: {release.item_count} items, sha256 {release.sha256}")
