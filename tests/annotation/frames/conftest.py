"""Fixtures for the frame pipeline tests: index-carrying clips, linked videos, outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import av
import pytest
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings
from index_clips import ClipSpec, read_index, read_index_file, write_broken_corpus, write_clip
from remote_like_storage import RemoteLikeStorage

from annotation.models import Video
from annotation.services.audited_writes import change_audited
from annotation.services.content import video_register
from annotation.services.video_processing import video_process

PROJECT_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def render_clip(tmp_path):
    def render(name: str, **spec) -> Path:
        return write_clip(tmp_path / name, ClipSpec(**spec))

    return render


def _index_shown(image: Path | av.VideoFrame) -> int | None:
    if isinstance(image, av.VideoFrame):
        return read_index(image.to_ndarray(format="rgb24"))
    return read_index_file(image)


@pytest.fixture(scope="module")
def broken_corpus(tmp_path_factory) -> dict[str, Path]:
    return write_broken_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def remote_storage():
    """Default storage without local paths, like S3: yields its class, to read what was saved or cause an outage."""
    RemoteLikeStorage.saved.clear()
    backend = {"BACKEND": "remote_like_storage.RemoteLikeStorage"}
    try:
        with override_settings(STORAGES={**settings.STORAGES, "default": backend}):
            yield RemoteLikeStorage
    finally:
        RemoteLikeStorage.fail_after_saves = None


@pytest.fixture
def frame_index():
    """The index a stored JPEG or a decoded frame shows (None when not upright or not a test frame)."""
    return _index_shown


@pytest.fixture
def linked_video(benchmark, generator):
    """A video with ``path`` stored and linked, through the audited path but without enqueuing."""

    def link(path: Path, clip_name: str | None = None) -> Video:
        video = video_register(benchmark=benchmark, clip_name=clip_name or path.stem, actor=generator)
        with path.open("rb") as handle:
            stored = default_storage.save(f"clips/{benchmark.pk}/{path.name}", File(handle))
        return change_audited(
            model=Video,
            pk=video.pk,
            actor=generator,
            expected_version=None,
            changes={"file": stored},
            reason="test clip",
        )

    return link


@pytest.fixture
def outputs_of():
    """The manifest and frame index of a processed video, and a helper for stored paths."""

    def load(video: Video) -> tuple[dict, dict, Path]:
        folder = Path(default_storage.path(video.frames_manifest)).parent
        manifest = json.loads((folder / "manifest.json").read_text())
        return manifest, json.loads((folder / manifest["index"]).read_text()), folder

    return load


@pytest.fixture
def processed(linked_video, outputs_of):
    """Link a clip and run the pipeline here: (video, manifest, frame index, output folder)."""

    def run(path: Path) -> tuple[Video, dict, dict, Path]:
        video = linked_video(path)
        video_process(video_id=video.pk)
        video.refresh_from_db()
        return video, *outputs_of(video)

    return run


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(django_db_setup, media_root, tmp_path, wait_for):
    """Start a Celery worker of our own (its own queue and process group, so a test may kill it)."""
    started: list[subprocess.Popen] = []

    def start(*, queue: str, env: dict[str, str] | None = None, hostname: str = "") -> subprocess.Popen:
        if settings.CELERY_TASK_ALWAYS_EAGER or connection.vendor != "postgresql":
            pytest.fail("worker tests need CELERY_BROKER_URL and PostgreSQL (run them with `make test`)")
        log_path = tmp_path / f"worker-{len(started)}.log"  # a test reads its workers' logs there
        full_env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(media_root),
            "CONN_MAX_AGE": "0",
            **(env or {}),
        }
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "mabench_site",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "-Q",
                    queue,
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                    *(["-n", hostname] if hostname else []),
                ],
                cwd=PROJECT_DIR,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        wait_for(lambda: "ready." in log_path.read_text() or process.poll() is not None, seconds=60)
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{log_path.read_text()}")
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
