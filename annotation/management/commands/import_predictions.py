from pathlib import Path

from django.core.management.base import CommandError
from django.db import IntegrityError

from annotation.importing.problems import ImportRejected
from annotation.management.data_command import DataCommand
from annotation.models import Benchmark
from annotation.selectors.scores import run_scores
from annotation.services.external_predictions import predictions_import


class Command(DataCommand):
    help = (
        "Import a MAC 2026 submission ({'prompts': [...], 'answers': [{'qid', 'pred_answer'}]}) as a run, and score it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--benchmark", required=True)
        parser.add_argument("--name", required=True, help="the model's name in reports")

    def handle(self, *args, path, benchmark, name, **options):
        target = Benchmark.objects.filter(name=benchmark).first()
        if target is None:
            raise CommandError(f"no benchmark named {benchmark!r}")
        try:
            run = predictions_import(benchmark=target, name=name, content=path.read_bytes(), file=str(path))
        except ImportRejected as rejected:
            raise CommandError(str(rejected)) from None
        except IntegrityError:
            raise CommandError(f"{path} was imported into {benchmark} already") from None
        scores = run_scores(run)
        self.stdout.write(
            f"imported {run.total} predictions as run #{run.pk} ({name}); closed average "
            f"{scores.closed_average if scores.closed_average is not None else 'n/a'}"
        )
