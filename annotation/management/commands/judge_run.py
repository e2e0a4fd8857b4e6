import json

from django.core.management.base import CommandError

from annotation.management.data_command import DataCommand
from annotation.models import BaselineRun
from annotation.selectors.scores import run_scores
from annotation.services.judging import run_judge


class Command(DataCommand):
    help = "Score a run's open answers (MADU, MARE) with an OpenAI-compatible judge model, then print the run's scores."

    def add_arguments(self, parser):
        parser.add_argument("run", type=int, help="run id")
        parser.add_argument("--base-url", required=True)
        parser.add_argument("--model", required=True, help="judge model")
        parser.add_argument("--api-key-env", default="OPENAI_API_KEY")
        parser.add_argument("--concurrency", type=int, default=4)

    def handle(self, *args, run, base_url, model, api_key_env, concurrency, **options):
        target = BaselineRun.objects.filter(pk=run).first()
        if target is None:
            raise CommandError(f"no run #{run}")
        outcome = run_judge(
            run=target, base_url=base_url, model=model, api_key_env=api_key_env, concurrency=concurrency
        )
        self.stdout.write(json.dumps(outcome))
        self.stdout.write(json.dumps(run_scores(target, judge=model).as_dict(), indent=2))
