"""Question generation, orchestration cost per clip (in-process, as on the embedded default,
on PostgreSQL as for the tests).

1. Template generator over 1,000 clips with reviewed captions: 2,000 CMAR/FMAR items
   created through the audited path, linted; then the rerun, which skips every clip.
2. Model generator over 200 clips against a local endpoint that answers at once:
   6 requests per clip, 10 items; all the time is the tool's (prompting, the HTTP client,
   schema validation, audited writes, lint).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from throwaway_database import throwaway_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "annotation" / "generation"))

from baselines import endpoint_process  # noqa: E402
from chat_endpoint import completion  # noqa: E402

from annotation.models import Caption, QAItem, Video  # noqa: E402
from annotation.services.audited_writes import Actor, create_audited_many  # noqa: E402
from annotation.services.content import benchmark_create  # noqa: E402
from annotation.services.generation import generation_prepare  # noqa: E402
from annotation.domain.taxonomy import FINE_LABELS  # noqa: E402
from mabench_site.celery import app  # noqa: E402

ACTOR = Actor.machine("bench")


def faithful(request, call):
    from conftest import faithful_reply  # the tests' model that follows the prompt

    return 200, completion(faithful_reply(request)), 0.0


def captioned_benchmark(name: str, clips: int):
    benchmark = benchmark_create(name=name, actor=ACTOR)
    videos = create_audited_many(
        model=Video, actor=ACTOR, rows=[{"benchmark": benchmark, "clip_name": f"clip_{n:05d}"} for n in range(clips)]
    )
    codes = list(FINE_LABELS)
    create_audited_many(
        model=Caption,
        actor=ACTOR,
        rows=[
            {
                "video": video,
                "coarse_label": FINE_LABELS[codes[n % 52]].coarse,
                "fine_label": codes[n % 52],
                "dominant_part": "head",
                "phase_middle": "the head reaches its lowest point",
                "trend": "single",
                "review_status": "accepted",
            }
            for n, video in enumerate(videos)
        ],
    )
    return benchmark


def timed(benchmark, generator: str, settings: dict) -> float:
    start = time.perf_counter()
    generation_prepare(benchmark=benchmark, generator=generator, settings=settings, concurrency=8)
    return time.perf_counter() - start


def main() -> None:
    app.conf.task_always_eager = True
    with throwaway_database():
        benchmark = captioned_benchmark("bench: template", 1000)
        seconds = timed(benchmark, "template", {"seed": 1})
        items = QAItem.objects.filter(benchmark=benchmark).count()
        print(
            f"template generator: 1000 clips, {items} items in {seconds:.1f} s ({1000 * seconds / 1000:.1f} ms per clip)"
        )
        print(f"template generator rerun (every clip skipped): {timed(benchmark, 'template', {'seed': 1}):.2f} s")
        benchmark = captioned_benchmark("bench: model", 200)
        with endpoint_process(faithful) as base_url:
            seconds = timed(benchmark, "model", {"base_url": base_url, "model": "instant", "max_retries": 0})
        items = QAItem.objects.filter(benchmark=benchmark).count()
        print(
            f"model generator, instant endpoint: 200 clips, {items} items in {seconds:.1f} s "
            f"({1000 * seconds / 200:.1f} ms per clip, 6 requests each, 8 clips in flight)"
        )


if __name__ == "__main__":
    main()
