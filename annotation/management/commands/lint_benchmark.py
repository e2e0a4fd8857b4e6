import json

from django.core.management.base import CommandError

from annotation.management.data_command import DataCommand
from annotation.models import Benchmark, QualityFlag
from annotation.selectors import open_flag_counts
from annotation.services.flags import lint_run


class Command(DataCommand):
    help = "Run the quality checks on a benchmark and print the open flags per kind."

    def add_arguments(self, parser):
        parser.add_argument("benchmark", help="benchmark name")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args, benchmark, as_json: bool, **options):
        target = Benchmark.objects.filter(name=benchmark).first()
        if target is None:
            raise CommandError(f"no benchmark named {benchmark!r}")
        raised = lint_run(benchmark=target)
        counts = open_flag_counts(benchmark=target)
        if as_json:
            self.stdout.write(
                json.dumps({"benchmark": target.name, "open_flags": counts, "newly_raised": dict(raised)}, indent=2)
            )
            return
        labels = dict(QualityFlag.Kind.choices)
        self.stdout.write(f"{target.name}: {sum(counts.values())} open flags ({sum(raised.values())} new)")
        for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"  {n:6d}  {kind:26s} {labels.get(kind, '')}")
