import json

from django.core.management.base import CommandError

from annotation.domain.plurals import counted
from annotation.management.data_command import DataCommand
from annotation.models import Benchmark
from annotation.selectors import evaluation_benchmarks, participant_report


class Command(DataCommand):
    help = (
        "List the participants a training corpus shares with evaluation benchmarks, counting the clips that are or "
        "would be released (not excluded ones); exits 1 when there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("benchmark", help="training corpus name")
        parser.add_argument(
            "--against",
            action="append",
            metavar="EVAL_BENCHMARK",
            help="an evaluation benchmark (repeat for several; default: all of them)",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the report as JSON")

    def handle(self, *args, benchmark, against, as_json, **options):
        corpus = Benchmark.objects.filter(name=benchmark).first()
        if corpus is None:
            raise CommandError(f"no benchmark {benchmark!r}")
        try:
            report = participant_report(benchmark=corpus, against=evaluation_benchmarks(names=against))
        except LookupError as error:
            raise CommandError(str(error)) from None
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self._write_text(report)
        if report.shared:
            raise SystemExit(1)

    def _write_text(self, report) -> None:
        self.stdout.write(
            f"{report.benchmark} against {', '.join(report.against) or '(no evaluation benchmark)'}: "
            f"{counted(len(report.shared), 'shared participant')}"
        )
        for shared in report.shared:
            self.stdout.write(f"  {shared}")
        for name, n in report.without_id.items():
            self.stdout.write(f"  {name}: {counted(n, 'clip')} without a participant id")
        for name, n in report.left_out.items():
            why = "excluded from the corpus" if name == report.benchmark else "never released, every question excluded"
            self.stdout.write(f"  {name}: {counted(n, 'clip')} not counted ({why})")
