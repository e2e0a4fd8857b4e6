"""The one way work reaches the Celery workers.

A service records the work in the database and calls ``enqueue_on_commit`` with a task's
name: the task is sent once the transaction that records the work commits (at once
outside a transaction), so a rollback sends nothing and no worker looks for a row that is
not there yet. Tasks are found by name in Celery's registry, so the services never import
``annotation/tasks.py`` (which imports them). ``tasks_run_in_process`` is the one answer to
"does a sent task run here and now?" (the embedded default: no broker, ``task_always_eager``).
"""

from __future__ import annotations

import hashlib
import json
import threading

from celery import Task, chain
from celery.exceptions import NotRegistered
from django.db import transaction

from annotation.errors import DomainError
from mabench_site.celery import app as celery_app

# The names annotation/tasks.py registers its tasks under. Queued messages carry them: never rename one.
FINGERPRINT_VIDEO = "annotation.fingerprint_video"
GENERATE_CLIP_BATCH = "annotation.generate_clip_batch"
PREDICT_CHUNK = "annotation.predict_chunk"
PROCESS_VIDEO = "annotation.process_video"
RUN_IMPORT = "annotation.run_import"

_discovery = threading.Lock()


class UnknownTask(DomainError):
    """A task name that no installed app's tasks module registers."""


def tasks_run_in_process() -> bool:
    """Do Celery tasks run in this process as they are sent (the embedded default), rather than on workers?

    Celery's own setting, which it reads from Django's ``CELERY_TASK_ALWAYS_EAGER``."""
    return bool(celery_app.conf.task_always_eager)


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Send the task named ``task_name`` with these arguments once the current transaction commits."""
    task = _task(task_name)
    transaction.on_commit(lambda: task.apply_async(args, kwargs))


def enqueue_chain_on_commit(*steps: tuple[str, tuple]) -> None:
    """Send tasks that run one after another, each once the one before has succeeded, after commit.
    A step is ``(task name, positional arguments)``; each step gets only its own arguments."""
    signatures = [_task(name).si(*args) for name, args in steps]
    transaction.on_commit(lambda: chain(*signatures).apply_async())


def settings_hash(**parts) -> str:
    """What names a resumable job's settings: the sha256 of their canonical JSON (keys sorted),
    so that running the same settings again finds the same job."""
    canonical = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _task(name: str) -> Task:
    """The registered task of that name; the apps' tasks modules are imported the first time one is asked for."""
    try:
        return celery_app.tasks[name]
    except NotRegistered:
        with _discovery:
            celery_app.autodiscover_tasks(force=True)
    try:
        return celery_app.tasks[name]
    except NotRegistered:
        known = ", ".join(sorted(t for t in celery_app.tasks if not t.startswith("celery.")))
        raise UnknownTask(f"no Celery task is named {name!r}; the tasks modules register {known}") from None
