"""A broker outage and a whole worker killed mid-clip lose nothing: the work waits in the database and the
reconciler that a deployment runs (Celery beat) sends it again. Each test runs a deployment of its own: its
own redis-server (started, stopped and started again here), workers and a beat process, on the test database;
nothing is run by hand but what a deployment runs."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from annotation.models import BaselineRun, OutboxMessage, Video
from annotation.services.content import benchmark_create, video_register

PROJECT_DIR = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.postgresql, pytest.mark.worker]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Deployment:
    """A redis-server of its own on a fixed port, and processes (workers, beat, commands) pointed at it."""

    def __init__(self, folder: Path, media_root: Path, wait_for):
        self.folder, self.wait_for, self.port = folder, wait_for, _free_port()
        self.redis: subprocess.Popen | None = None
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(media_root),
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.port}/0",
            "CELERY_TASK_DEFAULT_QUEUE": f"mabench-outage-{secrets.token_hex(4)}",
            # a deployment's settings, shortened so the test runs in seconds
            "RECONCILE_INTERVAL_SECONDS": "1",
            "RECONCILE_GRACE_SECONDS": "1",
            "OUTBOX_SEND_GRACE_SECONDS": "1",
            "FRAMES_HEARTBEAT_SECONDS": "0.3",
            "FRAMES_HEARTBEAT_STALE_SECONDS": "3",
        }

    def start_redis(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.fail("redis-server not found: install it with `sudo apt-get install redis-server`")
        self.redis = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_for(lambda: self._redis_answers(), seconds=10)

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.terminate()
        self.redis.wait(timeout=10)
        self.redis = None

    def _redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return b"PONG" in sock.recv(16)
        except OSError:
            return False

    def spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT_DIR,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a test may kill the whole worker
        )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def start_worker(self, name: str, *, queues: str = "all", env: dict[str, str] | None = None) -> subprocess.Popen:
        prefix = self.env["CELERY_TASK_DEFAULT_QUEUE"]
        kinds = ("frames", "models", "generation", "imports")
        wanted = [prefix, *(f"{prefix}.{kind}" for kind in kinds)] if queues == "all" else [f"{prefix}.{queues}"]
        process = self.spawn(
            name,
            *("-m", "celery", "-A", "mabench_site", "worker", "--pool=prefork", "--concurrency=1"),
            *("-Q", ",".join(wanted), "-n", f"{name}@%h", "--without-gossip", "--without-mingle"),
            "--loglevel=INFO",
            env=env,
        )
        self.wait_for(lambda: "ready." in self.log(name) or process.poll() is not None, seconds=60)
        if process.poll() is not None:
            pytest.fail(f"worker {name} exited at start:\n{self.log(name)}")
        return process

    def start_beat(self) -> subprocess.Popen:
        schedule = self.folder / "beat-schedule"
        return self.spawn("beat", "-m", "celery", "-A", "mabench_site", "beat", f"--schedule={schedule}", "-l", "INFO")

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.redis is not None:
            self.stop_redis()


@pytest.fixture
def deployment(django_db_setup, media_root, tmp_path, wait_for):
    if connection.vendor != "postgresql":
        pytest.fail("the outage tests need PostgreSQL (run them with `make test`)")
    deployment = Deployment(tmp_path, media_root, wait_for)
    deployment.start_redis()
    try:
        yield deployment
    finally:
        deployment.stop()


def _ready_and_fingerprinted(video: Video) -> bool:
    return Video.objects.filter(pk=video.pk, status="ready").exclude(sha256="").exists()


@pytest.mark.django_db(transaction=True)
def test_a_clip_linked_while_the_broker_is_down_is_ready_once_it_is_back(
    deployment, generator, render_clip, tmp_path, wait_for
):
    benchmark = benchmark_create(name="Outage bench", actor=generator)
    video = video_register(benchmark=benchmark, clip_name="outage_clip", actor=generator)
    clips = tmp_path / "clips"
    clips.mkdir()
    render_clip("outage_clip.mp4", frames=12).rename(clips / "outage_clip.mp4")
    deployment.start_worker("worker")
    deployment.start_beat()
    deployment.stop_redis()

    # the import runs in the command (--in-process: with the broker down no worker could take the job); the
    # frame work it causes goes to the outbox
    linked = deployment.manage(
        "import_benchmark", "--benchmark", benchmark.name, "--videos", str(clips), "--in-process"
    )

    assert linked.returncode == 0, linked.stderr  # the command does not fail because the broker is down
    assert "Queued 1 clip for the frame pipeline" in linked.stderr
    assert "Traceback" not in linked.stderr
    video.refresh_from_db()
    assert video.status == "pending" and video.file and video.processing_requested_at is not None
    refused = OutboxMessage.objects.get()
    assert [step[0] for step in refused.steps] == ["annotation.process_video", "annotation.fingerprint_video"]
    assert refused.send_attempts == 1 and "Connection refused" in refused.last_error

    time.sleep(3)  # beat and the worker run on while the broker is down
    assert Video.objects.get(pk=video.pk).status == "pending"
    deployment.start_redis()  # empty: the broker lost nothing it had, it never had the message

    wait_for(lambda: _ready_and_fingerprinted(video), seconds=90)
    assert not OutboxMessage.objects.exists()
    video.refresh_from_db()
    assert (video.processing_attempts, video.frame_count, video.processing_requested_at) == (1, 12, None)
    assert video.frames_manifest


@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_clip_is_redone_by_another_worker_through_the_reconciler(
    deployment, linked_video, render_clip, wait_for
):
    video = linked_video(render_clip("killed.ts", frames=80, container="mpegts"))
    slow = deployment.start_worker("slow", queues="frames", env={"MABENCH_TEST_FRAME_DELAY_SECONDS": "0.1"})
    queued = deployment.manage("process_videos")
    assert queued.returncode == 0 and "Queued 1 clip" in queued.stdout, queued.stderr
    folder = Path(settings.MEDIA_ROOT) / "frames" / str(video.pk)
    wait_for(lambda: len(list(folder.glob(".staging-*/scrub/*.jpg"))) >= 10, seconds=60)
    beating = Video.objects.get(pk=video.pk).heartbeat_at
    wait_for(lambda: Video.objects.get(pk=video.pk).heartbeat_at > beating, seconds=5)  # the worker beats

    os.killpg(slow.pid, signal.SIGKILL)  # the whole worker: main process and pool child
    slow.wait(timeout=10)
    killed_at = time.monotonic()
    video.refresh_from_db()
    assert (video.status, video.processing_attempts) == ("processing", 1)
    deployment.start_worker("fresh")  # its message is still unacknowledged in Redis (visibility timeout 1 h)
    deployment.start_beat()

    wait_for(lambda: _ready_and_fingerprinted(video), seconds=300)
    assert time.monotonic() - killed_at < 60  # heartbeat stale after 3 s, a reconcile each second
    video.refresh_from_db()
    assert video.processing_attempts == 2 and video.heartbeat_at is None
    assert [p.name for p in folder.iterdir()] == [Path(video.frames_manifest).parent.name]  # the staging is gone


@pytest.mark.django_db(transaction=True)
def test_a_frame_backlog_does_not_hold_up_a_baseline_run(deployment, linked_video, render_clip, make_item, wait_for):
    for n in range(20):
        linked_video(render_clip(f"backlog_{n:02d}.mp4", frames=20), clip_name=f"backlog_{n:02d}")
    for n in range(5):
        make_item(f"SAD_{n:04d}")
    deployment.start_worker("frames", queues="frames", env={"MABENCH_TEST_FRAME_DELAY_SECONDS": "0.3"})
    deployment.start_worker("models", queues="models")
    assert deployment.manage("process_videos").returncode == 0  # 20 clips of about 6 s each on one process

    baseline = deployment.manage("run_baseline", "--benchmark", "Test bench", "--predictor", "random")

    assert baseline.returncode == 0, baseline.stderr
    assert BaselineRun.objects.get().status == "done"
    left = Video.objects.exclude(file="").exclude(status="ready").count()
    assert left >= 15  # the run finished while most clips still wait for the frames worker
