"""What a circular run costs against a plain run: the same blind baseline over the choice tasks
(CMAR: 7 options, FMAR: 5) of a synthetic benchmark, once plain and once circular, on a real
2-process Celery worker against a local OpenAI-compatible endpoint in a process of its own
(16 requests in flight), with an endpoint that answers at once and one that takes 20 ms.
Also the scoring and the model flags afterwards (the circular run adds CircularEval and
position_sensitive). Run it like bench/baselines.py (`make bench` provides the services).
"""

from __future__ import annotations

import sys
import time

from baselines import celery_worker, endpoint_process
from chat_endpoint import completion
from throwaway_database import throwaway_database

from annotation.dispatch import tasks_run_in_process
from annotation.models import BaselineRun, Prediction, QualityFlag
from annotation.selectors.scores import run_scores
from annotation.services.baselines import run_prepare
from annotation.services.model_flags import model_flags_sync
from synthetic_benchmark import synthetic_benchmark_import

CLIPS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


def answer_a(request, call):
    return 200, completion("A"), 0.0


def answer_a_slowly(request, call):
    return 200, completion("A"), 0.02


def timed_run(benchmark, base_url: str, name: str, *, circular: bool) -> dict:
    settings = {"base_url": base_url, "model": name, "max_retries": 0} | ({"circular": True} if circular else {})
    start = time.perf_counter()
    run = run_prepare(
        benchmark=benchmark, predictor="blind", name=name, settings=settings, tasks=["CMAR", "FMAR"], concurrency=16
    )
    while BaselineRun.objects.get(pk=run.pk).status == "running":
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    run.refresh_from_db()
    scoring = time.perf_counter()
    scores = run_scores(run)
    scoring = time.perf_counter() - scoring
    return {
        "seconds": seconds,
        "requests": Prediction.objects.filter(run=run).count(),  # one request per prediction
        "errors": run.errors,
        "scoring": scoring,
        "circular": scores.circular,
    }


def main() -> None:
    if tasks_run_in_process():
        sys.exit("bench/circular.py needs CELERY_BROKER_URL and DATABASE_URL (run it with `make bench`)")
    with throwaway_database(), celery_worker():
        benchmark = synthetic_benchmark_import("bench: circular", CLIPS)
        print(f"{CLIPS} CMAR + {CLIPS} FMAR items, blind baseline, 16 requests in flight")
        for label, script in (("instant endpoint", answer_a), ("20 ms endpoint", answer_a_slowly)):
            with endpoint_process(script) as base_url:
                plain = timed_run(benchmark, base_url, f"plain {label}", circular=False)
                circular = timed_run(benchmark, base_url, f"circular {label}", circular=True)
            print(
                f"{label}: plain {plain['requests']} requests in {plain['seconds']:.1f} s; circular "
                f"{circular['requests']} requests in {circular['seconds']:.1f} s "
                f"({circular['requests'] / plain['requests']:.1f}x requests, "
                f"{circular['seconds'] / plain['seconds']:.1f}x time); scoring {1000 * plain['scoring']:.0f} ms / "
                f"{1000 * circular['scoring']:.0f} ms; errors {plain['errors']} / {circular['errors']}"
            )
        start = time.perf_counter()
        model_flags_sync(benchmark=benchmark)
        raised = QualityFlag.objects.filter(benchmark=benchmark, kind="position_sensitive", status="open").count()
        print(
            f"model flags over the four runs (also part of each run's time above): "
            f"{time.perf_counter() - start:.2f} s; {raised} items position_sensitive (the endpoint always says A)"
        )


if __name__ == "__main__":
    main()
