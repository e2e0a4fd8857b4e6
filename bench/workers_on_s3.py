"""Clips per minute with 1 and 2 worker instances on S3, beside one worker on local storage.

Each worker instance is a Celery worker of its own (``-n``, one process, its own empty MEDIA_ROOT
and staging folder), as on separate machines; they share PostgreSQL, the broker and the bucket
(moto's S3 server on 127.0.0.1) and nothing else. The floor is the same clips on one worker
writing to the local MEDIA_ROOT. Every run processes new clips (40 of 2 s 1080p30 H.264) through
the real service (``video_processing_request``: frames, then the fingerprint).

On one 2-core machine two instances share the cores with each other, PostgreSQL and moto (a
Python server): the 2-instance figure says whether instances scale without getting in each
other's way here, and the per-clip cost is what the README's sizing uses.

Run with `scripts/with_test_services.py .venv/bin/python bench/workers_on_s3.py [--clips N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.s3_server import S3Server  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="mabench-bench-workers-"))
os.environ["MEDIA_ROOT"] = str(WORK / "media")

from throwaway_database import throwaway_database  # noqa: E402  (sets Django up)

from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402
from synthetic_clips import render_clip  # noqa: E402

from annotation.dispatch import tasks_run_in_process  # noqa: E402
from annotation.models import Video  # noqa: E402
from annotation.services.audited_writes import Actor, change_audited  # noqa: E402
from annotation.services.content import benchmark_create, video_register  # noqa: E402
from annotation.services.video_processing import video_processing_request  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACTOR = Actor.machine("bench: workers on s3")


@contextlib.contextmanager
def workers(count: int, env: dict[str, str], tag: str):
    db = connection.settings_dict
    started = []
    for n in range(count):
        home = WORK / "workers" / f"{tag}-{n}"
        for kind in ("media", "staging"):
            (home / kind).mkdir(parents=True)
        worker_env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CONN_MAX_AGE": "0",
            "MEDIA_ROOT": str(home / "media"),
            "FRAMES_STAGING_DIR": str(home / "staging"),
            **env,
        }
        log_path = home / "worker.log"
        with log_path.open("w") as log:
            argv = [sys.executable, "-m", "celery", "-A", "mabench_site", "worker", "--concurrency=1"]
            argv += ["-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-n", f"{tag}-{n}@%h", "--without-gossip"]
            argv += ["--without-mingle", "--loglevel=INFO"]
            started.append((subprocess.Popen(argv, cwd=ROOT, env=worker_env, stdout=log, stderr=log), log_path))
    try:
        deadline = time.monotonic() + 90
        for process, log_path in started:
            while "ready." not in log_path.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a worker did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(30)


def linked_clips(sources: list[Path], count: int, tag: str) -> list[int]:
    benchmark = benchmark_create(name=f"bench: workers {tag}", actor=ACTOR)
    ids = []
    for n in range(count):
        video = video_register(benchmark=benchmark, clip_name=f"clip_{n:04d}", actor=ACTOR)
        with sources[n % len(sources)].open("rb") as handle:
            name = default_storage.save(f"clips/{benchmark.pk}/clip_{n:04d}.mp4", File(handle))
        change_audited(model=Video, pk=video.pk, actor=ACTOR, expected_version=None, changes={"file": name})
        ids.append(video.pk)
    return ids


def clips_per_minute(ids: list[int]) -> tuple[float, int]:
    start = time.perf_counter()
    video_processing_request(video_ids=ids)
    settled = Video.objects.filter(pk__in=ids, status__in=("ready", "failed")).exclude(sha256="")
    while settled.count() < len(ids):
        if time.perf_counter() - start > 900:
            raise RuntimeError(f"{settled.count()} of {len(ids)} clips settled in 15 min; see the workers' logs")
        time.sleep(0.25)
    elapsed = time.perf_counter() - start
    return len(ids) / elapsed * 60, Video.objects.filter(pk__in=ids).exclude(status="ready").count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=40)
    args = parser.parse_args()
    if tasks_run_in_process():
        sys.exit("no CELERY_BROKER_URL: run under scripts/with_test_services.py")
    s3 = S3Server(WORK / "moto_server.log").start()
    rows = []
    try:
        with throwaway_database():
            sources = [render_clip(WORK / f"two_s_{n}.mp4", seconds=2, seed=10 + n) for n in range(4)]
            ids = linked_clips(sources, args.clips, "local")
            with workers(1, {"MEDIA_ROOT": os.environ["MEDIA_ROOT"]}, "local"):  # the bench's own media
                rows.append(("1 worker instance, local MEDIA_ROOT (the floor)", *clips_per_minute(ids)))
            for count in (1, 2):
                bucket = s3.create_bucket(f"mabench-bench-workers-{count}")
                with override_settings(STORAGES={**settings.STORAGES, "default": s3.storage(bucket)}):
                    ids = linked_clips(sources, args.clips, f"s3-{count}")
                    with workers(count, s3.env(bucket), f"s3-{count}"):
                        rows.append((f"{count} worker instance(s), S3 bucket", *clips_per_minute(ids)))
                    frames = [k for k in s3.keys(bucket, "frames/") if k.endswith("manifest.json")]
                    assert len(frames) == args.clips, f"{len(frames)} manifests in the bucket"
                left = [p for p in (WORK / "workers").glob(f"s3-{count}-*/*/**/*") if p.is_file()]
                assert not left, f"files left on the workers' disks: {left[:3]}"
    finally:
        s3.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    floor = rows[0][1]
    print(f"\n{os.cpu_count()} cores; {args.clips} clips of 2 s 1080p30 per run; 1 process per worker instance\n")
    print("| run | clips/min | vs floor | s per clip | not ready |")
    print("|---|---|---|---|---|")
    for what, per_minute, failed in rows:
        print(f"| {what} | {per_minute:.0f} | {per_minute / floor:.2f}x | {60 / per_minute:.2f} | {failed} |")


if __name__ == "__main__":
    main()
