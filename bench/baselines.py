"""Baseline-run orchestration against a local OpenAI-compatible endpoint.

1. The endpoint answers at once: wall time per prediction is all orchestration
   (prompt building, HTTP client, parsing, storing); target under 5 ms.
2. The endpoint takes 50 ms per request and serves 16 at a time: a run should take
   about items x 50 ms / 16, i.e. be limited by the endpoint, not by the workers.
The run executes on a real Celery worker with 2 processes (`make bench` provides Redis),
as in production; the endpoint runs in a process of its own.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from throwaway_database import throwaway_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))

from chat_endpoint import ChatEndpoint, completion  # noqa: E402

from django.conf import settings as django_settings  # noqa: E402
from django.db import connection  # noqa: E402

from annotation.dispatch import tasks_run_in_process  # noqa: E402
from annotation.models import BaselineRun, Prediction  # noqa: E402
from annotation.services.baselines import run_prepare  # noqa: E402
from synthetic_benchmark import synthetic_benchmark_import  # noqa: E402


def instant(request, call):
    return 200, completion("A" if "\nA. " in request["messages"][-1]["content"][-1]["text"] else "Yes"), 0.0


def slow(request, call):
    return 200, completion("Yes"), 0.05


@contextlib.contextmanager
def endpoint_process(script):
    """The endpoint in a process of its own, as a model server would be: its CPU is not ours."""
    ready = multiprocessing.Queue()

    def serve():
        with ChatEndpoint(script) as server:
            ready.put(server.base_url)
            threading.Event().wait()

    process = multiprocessing.Process(target=serve, daemon=True)
    process.start()
    try:
        yield ready.get(timeout=10)
    finally:
        process.terminate()


@contextlib.contextmanager
def celery_worker():
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mabench_site",
            "worker",
            "--concurrency=2",
            "-Q",
            django_settings.CELERY_TASK_DEFAULT_QUEUE,
            "--loglevel=WARNING",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    time.sleep(4)  # the worker connects and is ready
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(30)


def timed_run(benchmark, base_url: str, name: str, tasks: list[str]) -> tuple[float, int]:
    settings = {"base_url": base_url, "model": name, "max_retries": 0}
    start = time.perf_counter()
    run = run_prepare(benchmark=benchmark, predictor="blind", name=name, settings=settings, tasks=tasks, concurrency=16)
    while BaselineRun.objects.get(pk=run.pk).status == "running":
        time.sleep(0.2)
    return time.perf_counter() - start, Prediction.objects.filter(run=run).count()


def main() -> None:
    if tasks_run_in_process():
        sys.exit("bench/baselines.py needs CELERY_BROKER_URL and DATABASE_URL (run it with `make bench`)")
    with throwaway_database(), celery_worker():
        benchmark = synthetic_benchmark_import("bench: runs", 1000)
        with endpoint_process(instant) as base_url:
            seconds, count = timed_run(benchmark, base_url, "instant", [])
        print(
            f"instant endpoint: {count} predictions in {seconds:.1f} s, {1000 * seconds / count:.2f} ms per prediction "
            f"(16 in flight)"
        )
        with endpoint_process(slow) as base_url:
            seconds, count = timed_run(benchmark, base_url, "slow", ["SAD", "MAD"])
        ideal = count * 0.05 / 16
        print(
            f"50 ms endpoint, 16 in flight: {count} predictions in {seconds:.1f} s; the endpoint alone needs "
            f"{ideal:.1f} s ({seconds / ideal:.2f}x)"
        )


if __name__ == "__main__":
    main()
