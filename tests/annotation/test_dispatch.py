"""The dispatch rule: work reaches the workers by task name, once, when the transaction that
records it commits; services know neither the tasks modules nor the Celery app."""

import ast
import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from annotation import dispatch
from annotation.dispatch import UnknownTask, enqueue_on_commit, settings_hash, tasks_run_in_process
from annotation.models import BaselineRun, RunChunk, Video
from annotation.services.baselines import run_prepare
from annotation.services.content import video_attach_file
from annotation.services.video_processing import video_processing_request
from mabench_site.celery import app as celery_app

PROJECT_DIR = Path(__file__).resolve().parents[2]
SERVICE_PACKAGES = ("annotation/services", "review/services")
NOT_FOR_SERVICES = ("annotation.tasks", "review.tasks", "mabench_site")


class RolledBack(Exception):
    pass


@pytest.fixture
def sent(monkeypatch):
    """What would reach the broker, as (task name, args, options) per message; nothing is sent."""
    messages = []

    def send_task(name, args=None, kwargs=None, **options):
        messages.append((name, list(args or ()), options))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):  # with a broker, as the workers get it
        yield messages


@pytest.mark.django_db(transaction=True)
def test_work_of_a_transaction_that_rolls_back_is_never_sent(sent, video, make_item):
    make_item("SAD_0001")
    with pytest.raises(RolledBack), transaction.atomic():
        video_processing_request(video_ids=[video.pk])
        run_prepare(benchmark=video.benchmark, predictor="random", name="random")
        raise RolledBack
    assert sent == []
    assert not BaselineRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_committed_work_is_sent_once_by_name_after_the_commit(sent, video, make_item):
    make_item("SAD_0001")
    with transaction.atomic():
        video_processing_request(video_ids=[video.pk], force=True)
        run = run_prepare(benchmark=video.benchmark, predictor="random", name="random")
        assert sent == []  # nothing before the commit
    chunk = RunChunk.objects.get(run=run)
    assert [(name, args) for name, args, _ in sent] == [
        ("annotation.process_video", [video.pk, True]),  # the frame pipeline, then its chained fingerprint
        ("annotation.predict_chunk", [chunk.pk]),  # one chunk: the second chain finds nothing left to send
    ]
    assert [(s["task"], list(s["args"])) for s in sent[0][2]["chain"]] == [("annotation.fingerprint_video", [video.pk])]
    assert chunk.status == RunChunk.Status.QUEUED


@pytest.mark.django_db
def test_in_process_the_tasks_run_when_the_transaction_commits_and_never_when_it_rolls_back(
    video, generator, tmp_path, tasks_in_process
):
    clip = tmp_path / "clip_001.mp4"
    clip.write_bytes(b"not a video")
    with tasks_in_process(), pytest.raises(RolledBack), transaction.atomic():
        video_attach_file(video=video, source=clip, actor=generator)
        raise RolledBack
    video.refresh_from_db()
    assert (video.file.name, video.sha256, video.status) == ("", "", "pending")

    with tasks_in_process():
        video_attach_file(video=video, source=clip, actor=generator)
        assert Video.objects.get(pk=video.pk).sha256 == ""  # not before the commit
    video.refresh_from_db()  # the frame pipeline ran here (and failed), then the fingerprint
    assert (video.status, video.sha256) == ("failed", hashlib.sha256(b"not a video").hexdigest())


@pytest.mark.django_db
def test_one_answer_to_whether_tasks_run_in_process(tasks_in_process):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):  # a broker: the workers run them
        assert tasks_run_in_process() is False
        with tasks_in_process():
            assert tasks_run_in_process() is True
        assert tasks_run_in_process() is False
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):  # the embedded default; `process_videos` asks the same
        assert tasks_run_in_process() is True


def test_an_unknown_task_name_is_refused_before_anything_is_registered():
    with pytest.raises(UnknownTask, match="no Celery task is named 'annotation.no_such_task'"):
        enqueue_on_commit("annotation.no_such_task", 1)


def test_the_names_dispatched_and_scheduled_are_registered_tasks():
    celery_app.autodiscover_tasks(force=True)
    names = {dispatch.FINGERPRINT_VIDEO, dispatch.GENERATE_CLIP_BATCH, dispatch.PREDICT_CHUNK, dispatch.PROCESS_VIDEO}
    names |= {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names <= set(celery_app.tasks)


def test_settings_hash_is_the_sha256_of_the_canonical_settings():
    canonical = json.dumps({"predictor": "random", "settings": {"seed": 1}, "tasks": ["SAD"]}, sort_keys=True)
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert settings_hash(tasks=["SAD"], settings={"seed": 1}, predictor="random") == expected  # runs resume by it


def _imported(source: str, package: str) -> set[str]:
    """Every module a module of ``package`` imports, at the top or inside functions, relative imports resolved."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names |= {module} | {f"{module}.{alias.name}" for alias in node.names}  # `from annotation import tasks`
    return names


def _package_of(path: Path) -> str:
    return ".".join(path.parent.relative_to(PROJECT_DIR).parts)


def _forbidden(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in NOT_FOR_SERVICES))


def test_no_service_imports_a_tasks_module_or_the_site():
    modules = [path for package in SERVICE_PACKAGES for path in sorted((PROJECT_DIR / package).rglob("*.py"))]
    offending = {
        str(path.relative_to(PROJECT_DIR)): _forbidden(_imported(path.read_text(), _package_of(path)))
        for path in modules
    }
    assert len(offending) > 10
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_import_check_sees_function_level_and_relative_imports():
    source = "import os\n\ndef f():\n    from .. import tasks\n    from mabench_site.celery import app\n"
    assert _forbidden(_imported(source, "annotation.services")) == [
        "annotation.tasks",
        "mabench_site.celery",
        "mabench_site.celery.app",
    ]
    assert _forbidden(_imported("from review.tasks import sweep_expired_leases", "review.services")) == [
        "review.tasks",
        "review.tasks.sweep_expired_leases",
    ]
    assert "annotation.dispatch" in _imported(
        (PROJECT_DIR / "annotation/services/baselines.py").read_text(), "annotation.services"
    )
