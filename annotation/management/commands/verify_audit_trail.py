from django.core.management.base import CommandError

from annotation.audit.replay import AUDITED_MODELS, replay_mismatches, stored_state
from annotation.domain.plurals import counted, for_count
from annotation.management.data_command import DataCommand


class Command(DataCommand):
    help = "Replay the audit trail and check that it rebuilds exactly the stored state of every row."

    def handle(self, *args, **options):
        mismatches = replay_mismatches()
        rows = sum(len(stored_state(model)) for model in AUDITED_MODELS)
        for mismatch in mismatches[:50]:
            self.stderr.write(str(mismatch))
        if mismatches:
            raise CommandError(
                f"{counted(len(mismatches), 'field')} {for_count(len(mismatches), 'differs', 'differ')} between the audit trail and the tables"
            )
        self.stdout.write(f"audit trail rebuilds all {rows} rows exactly")
