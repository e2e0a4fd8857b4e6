from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotation.models import Benchmark
from annotation.services.releases import ReleaseBlocked, release_create


class Command(BaseCommand):
    help = "Freeze a benchmark's accepted items as a new release; refuses and lists the blockers if it is incomplete."

    def add_arguments(self, parser):
        parser.add_argument("benchmark", help="benchmark name")
        parser.add_argument("tag", help="new release tag, e.g. v1.0")
        parser.add_argument("--user", required=True, help="username of the admin cutting the release")
        parser.add_argument("--notes", default="", help="release notes")

    def handle(self, *args, benchmark, tag, user, notes, **options):
        target = Benchmark.objects.filter(name=benchmark).first()
        admin = get_user_model().objects.filter(username=user).first()
        if target is None or admin is None:
            raise CommandError(f"no benchmark {benchmark!r}" if target is None else f"no user {user!r}")
        if not admin.is_admin_role:
            raise CommandError(f"{user} is not an admin; only admins cut releases")
        try:
            release = release_create(benchmark=target, tag=tag, notes=notes, user=admin)
        except ReleaseBlocked as blocked:
            raise CommandError(str(blocked)) from None
        self.stdout.write(f"released {target.name} {tag}: {release.item_count} items, sha256 {release.sha256}")
