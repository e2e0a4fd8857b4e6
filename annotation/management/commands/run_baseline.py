import json

from django.core.management.base import CommandError

from annotation.errors import DomainError
from annotation.management.data_command import DataCommand
from annotation.management.job_progress import follow_job
from annotation.models import BaselineRun, Benchmark
from annotation.selectors.scores import run_scores
from annotation.services.baselines import run_prepare


class Command(DataCommand):
    help = (
        "Run a baseline predictor over a benchmark on the Celery workers (in-process on the embedded default), "
        "showing progress. Rerunning the same settings resumes: items already predicted for their current "
        "version are skipped. Probes: --sampling single-frame / reversed-K / shuffled-K, --predictor choices-only, "
        "--circular."
    )

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", required=True)
        parser.add_argument(
            "--predictor", required=True, choices=[p for p in BaselineRun.Predictor.values if p != "external"]
        )
        parser.add_argument("--name", help="name in reports (default: the model or the predictor)")
        parser.add_argument("--tasks", nargs="*", default=[], help="tasks to cover (default: all)")
        parser.add_argument("--concurrency", type=int, default=4, help="requests in flight against the endpoint")
        parser.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
        parser.add_argument("--model", help="model name at the endpoint")
        parser.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
        parser.add_argument(
            "--sampling",
            default="mac2026",
            help="model-view frames: mac2026 or uniform-K; the probes single-frame (the middle frame), reversed-K, "
            "shuffled-K (the uniform-K frames reversed or in a seeded order), reversed-mac2026, shuffled-mac2026",
        )
        parser.add_argument("--seed", type=int, default=0, help="random predictor seed; the order of shuffled-K frames")
        parser.add_argument(
            "--circular",
            action="store_true",
            help="CircularEval: ask each choice item once per rotation of its options (CMAR 7, FMAR 5 requests)",
        )
        parser.add_argument("--no-wait", action="store_true", help="enqueue and return")

    def handle(self, *args, **o):
        benchmark = Benchmark.objects.filter(name=o["benchmark"]).first()
        if benchmark is None:
            raise CommandError(f"no benchmark named {o['benchmark']!r}")
        settings = self._settings(o)
        try:
            run = run_prepare(
                benchmark=benchmark,
                predictor=o["predictor"],
                settings=settings,
                tasks=o["tasks"],
                concurrency=o["concurrency"],
                name=o["name"] or o["model"] or o["predictor"],
            )
        except DomainError as error:
            raise CommandError(str(error)) from None
        if not o["no_wait"]:
            self._follow(run)

    def _settings(self, o) -> dict:
        return self._predictor_settings(o) | ({"circular": True} if o["circular"] else {})

    def _predictor_settings(self, o) -> dict:
        predictor = o["predictor"]
        if predictor == "random":
            return {"seed": o["seed"]}
        if predictor == "prior":
            return {}
        if not o["base_url"] or not o["model"]:
            raise CommandError(f"--predictor {predictor} needs --base-url and --model")
        settings = {"base_url": o["base_url"], "model": o["model"], "api_key_env": o["api_key_env"]}
        if predictor != "openai-compatible":
            return settings
        shuffled = o["sampling"].startswith("shuffled-")
        return settings | {"sampling": o["sampling"]} | ({"seed": o["seed"]} if shuffled else {})

    def _follow(self, run: BaselineRun) -> None:
        follow_job(run, stdout=self.stdout, label=run.name, unit="predicted")
        if run.last_error:
            self.stdout.write(f"last error: {run.last_error}")
        self.stdout.write(json.dumps(run_scores(run).as_dict(), indent=2))
