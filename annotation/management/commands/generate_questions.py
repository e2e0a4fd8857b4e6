from django.core.management.base import CommandError

from annotation.errors import DomainError
from annotation.generation.kinds import GENERATOR_TASKS
from annotation.management.data_command import DataCommand
from annotation.management.job_progress import follow_job
from annotation.models import Benchmark, GenerationRun
from annotation.services.generation import generation_prepare


class Command(DataCommand):
    help = (
        "Generate questions from the clips' reviewed structured captions, on the Celery workers (in-process on the "
        "embedded default), showing progress. template: CMAR and FMAR without a model; model: SAD, MAD, MAS, PPR, "
        "MADU and MARE through an OpenAI-compatible endpoint. Existing questions of a clip get new versions, written "
        "as the generator. Rerunning the same settings resumes: clips generated from their current caption are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", required=True)
        parser.add_argument("--generator", required=True, choices=list(GENERATOR_TASKS))
        parser.add_argument("--clips", nargs="*", help="clip names (default: every clip with a reviewed caption)")
        parser.add_argument("--tasks", nargs="*", default=[], help="tasks to write (default: all of the generator's)")
        parser.add_argument("--seed", type=int, default=0, help="option order, stems and yes/no key order")
        parser.add_argument(
            "--include-unreviewed", action="store_true", help="also clips whose caption is not accepted"
        )
        parser.add_argument("--concurrency", type=int, default=4, help="clips in flight per worker")
        parser.add_argument(
            "--base-url", help="model generator: OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1"
        )
        parser.add_argument("--model", help="model generator: model name at the endpoint")
        parser.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
        parser.add_argument("--temperature", type=float, default=0.7)
        parser.add_argument("--max-tokens", type=int, default=1024)
        parser.add_argument(
            "--attempts", type=int, default=3, help="model generator: requests per task before a clip fails"
        )
        parser.add_argument("--no-wait", action="store_true", help="enqueue and return")

    def handle(self, *args, **o):
        benchmark = Benchmark.objects.filter(name=o["benchmark"]).first()
        if benchmark is None:
            raise CommandError(f"no benchmark named {o['benchmark']!r}")
        try:
            run = generation_prepare(
                benchmark=benchmark,
                generator=o["generator"],
                settings=self._settings(o),
                clips=o["clips"],
                tasks=o["tasks"],
                concurrency=o["concurrency"],
                include_unreviewed=o["include_unreviewed"],
            )
        except DomainError as error:
            raise CommandError(str(error)) from None
        if not o["no_wait"]:
            self._follow(run)

    def _settings(self, o) -> dict:
        settings = {"seed": o["seed"]}
        if o["generator"] == "template":
            return settings
        if not o["base_url"] or not o["model"]:
            raise CommandError("--generator model needs --base-url and --model")
        return settings | {
            "base_url": o["base_url"],
            "model": o["model"],
            "api_key_env": o["api_key_env"],
            "temperature": o["temperature"],
            "max_tokens": o["max_tokens"],
            "attempts": o["attempts"],
        }

    def _follow(self, run: GenerationRun) -> None:
        follow_job(run, stdout=self.stdout, label=run.source, unit="clips generated")
        for clip in run.clips.filter(status="error").select_related("video").order_by("video__clip_name"):
            self.stdout.write(f"error: {clip.error}")
