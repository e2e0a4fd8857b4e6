from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from annotation.domain.plurals import for_count
from annotation.domain.taxonomy import TASKS, AnswerFormat
from annotation.errors import DomainError
from annotation.management.data_command import DataCommand
from annotation.models import Benchmark, QAItem
from review.services.option_balance import options_rebalance, rebalance_plan

CHOICE_TASKS = [code for code, task in TASKS.items() if task.answer_format == AnswerFormat.CHOICE]


class Command(DataCommand):
    help = (
        "Balance the key letters of a choice task by reordering options (texts and the key's text unchanged): "
        "the fewest items move, one audited edit each; --dry-run prints the plan."
    )

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", required=True, help="benchmark name")
        parser.add_argument("--task", required=True, choices=CHOICE_TASKS)
        parser.add_argument("--user", help="username of the admin making the edits (needed unless --dry-run)")
        parser.add_argument("--qid", action="append", dest="qids", help="only this item (repeat for several)")
        parser.add_argument("--note", default="", help="added to each edit's reason")
        parser.add_argument("--dry-run", action="store_true", help="print what would move; change nothing")

    def handle(self, *args, benchmark, task, user, qids, note, dry_run, **options):
        target = Benchmark.objects.filter(name=benchmark).first()
        if target is None:
            raise CommandError(f"no benchmark {benchmark!r}")
        item_ids = self._item_ids(target, task, qids)
        admin = get_user_model().objects.filter(username=user).first() if user else None
        if user and admin is None:
            raise CommandError(f"no user {user!r}")
        if admin is None and not dry_run:
            raise CommandError("--user is needed: the edits are a person's, with their name in the audit trail")
        try:
            if admin is None:
                plan = rebalance_plan(benchmark=target, task=task, item_ids=item_ids)
            else:
                plan = options_rebalance(
                    benchmark=target,
                    task=task,
                    user=admin,
                    item_ids=item_ids,
                    dry_run=dry_run,
                    note=note,
                    progress=self._progress,
                )
        except (DomainError, PermissionDenied) as refused:
            raise CommandError(str(refused)) from None
        for move in plan.moves:
            self.stdout.write(f"  {move.qid}: {move.from_letter} -> {move.to_letter}")
        self.stdout.write(plan.summary())

    def _item_ids(self, benchmark: Benchmark, task: str, qids: list[str] | None) -> list[int] | None:
        if not qids:
            return None
        found = dict(QAItem.objects.filter(benchmark=benchmark, task=task, qid__in=qids).values_list("qid", "pk"))
        missing = sorted(set(qids) - set(found))
        if missing:
            raise CommandError(
                f"no {task} {for_count(len(missing), 'item', 'items')} {', '.join(missing)} in {benchmark.name}"
            )
        return sorted(found.values())

    def _progress(self, done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            self.stdout.write(f"reordered {done}/{total}")
