from django.core.management.base import CommandError

from annotation.domain.plurals import counted, for_count
from annotation.management.data_command import DataCommand
from annotation.models import Release
from annotation.services.release_integrity import release_check, release_name, row_noun


class Command(DataCommand):
    help = (
        "Recompute every release's digests (each export format) and row count from its stored rows; exit 1 and "
        "list each release that no longer matches what was cut."
    )

    def handle(self, *args, **options):
        releases = Release.objects.select_related("benchmark", "created_by").order_by("benchmark__name", "created_at")
        damaged = 0
        for release in releases:
            check = release_check(release)
            if check.intact:
                self.stdout.write(
                    f"{release_name(release)}: intact, {check.rows_found} {row_noun(release)}, "
                    f"sha256 {release.sha256} ({len(release.export_sha256)} export digests match)"
                )
                continue
            damaged += 1
            self.stderr.write(f"{release_name(release)}: DAMAGED: {'; '.join(check.problems)}")
        if damaged:
            raise CommandError(
                f"{damaged} of {counted(len(releases), 'release')} {for_count(damaged, 'does', 'do')} not match what was "
                "cut; their exports are "
                "refused until the rows are restored (from a backup)"
            )
        self.stdout.write(f"{counted(len(releases), 'release')} checked, all intact")
