"""The one way work reaches the Celery workers.

A service records the work in the database and calls ``enqueue_on_commit`` with a task's
name: the task is sent once the transaction that records the work commits (at once
outside a transaction), so a rollback sends nothing and no worker looks for a row that is
not there yet. Tasks are found by name in Celery's registry, so the services never import
``annotation/tasks.py`` (which imports them). ``tasks_run_in_process`` is the one answer to
"does a sent task run here and now?" (the embedded default: no broker, ``task_always_eager``).

With a broker, each message is first written as an ``OutboxMessage`` row in the caller's
transaction, and deleted once the broker took it. A broker that is down is logged and never
fails the caller: the row stays, and the reconciler (``outbox_flush``, run by beat and by
``reconcile_jobs``) sends it when the broker is back. Every task is safe to receive twice.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from amqp.exceptions import ChannelError
from celery import Signature, Task, chain
from celery.exceptions import NotRegistered
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from annotation.errors import DomainError
from mabench_site.celery import app as celery_app

# The names annotation/tasks.py registers its tasks under. Queued messages carry them: never rename one.
FINGERPRINT_VIDEO = "annotation.fingerprint_video"
GENERATE_CLIP_BATCH = "annotation.generate_clip_batch"
PREDICT_CHUNK = "annotation.predict_chunk"
PROCESS_VIDEO = "annotation.process_video"
RUN_IMPORT = "annotation.run_import"

RECONCILE_JOBS = "annotation.reconcile_jobs"

_discovery = threading.Lock()
log = logging.getLogger(__name__)


class UnknownTask(DomainError):
    """A task name that no installed app's tasks module registers."""


def tasks_run_in_process() -> bool:
    """Do Celery tasks run in this process as they are sent (the embedded default), rather than on workers?

    Celery's own setting, which it reads from Django's ``CELERY_TASK_ALWAYS_EAGER``."""
    return bool(celery_app.conf.task_always_eager)


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Send the task named ``task_name`` with these arguments once the current transaction commits."""
    _task(task_name)
    _record_on_commit([[[task_name, list(args), kwargs]]])


def enqueue_chain_on_commit(*steps: tuple[str, tuple]) -> None:
    """Send tasks that run one after another, each once the one before has succeeded, after commit.
    A step is ``(task name, positional arguments)``; each step gets only its own arguments."""
    enqueue_chains_on_commit([steps])


def enqueue_chains_on_commit(chains: Sequence[Sequence[tuple[str, tuple]]]) -> None:
    """``enqueue_chain_on_commit`` for many chains at once (one insert for all their outbox rows)."""
    for steps in chains:
        for name, _ in steps:
            _task(name)
    _record_on_commit([[[name, list(args), {}] for name, args in steps] for steps in chains])


@dataclass(frozen=True)
class OutboxFlush:
    sent: int
    left: int  # rows still unsent: refused now, or too young to be resent yet
    refused: bool  # the broker refused a send: it is down, and the flush stopped there


def outbox_flush(*, limit: int = 5000) -> OutboxFlush:
    """Send the outbox rows older than ``OUTBOX_SEND_GRACE_SECONDS`` (younger ones are still being sent by their
    commit); stops at the first refusal, as the broker is down then. Rows are locked with SKIP LOCKED, so two
    reconcilers never send the same row."""
    from annotation.models import OutboxMessage

    cutoff = timezone.now() - timedelta(seconds=django_settings.OUTBOX_SEND_GRACE_SECONDS)
    sent, refused = 0, False
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(created_at__lt=cutoff)
            .order_by("id")[:limit]
        )
        for row in rows:
            if not _send(row.pk, row.steps):
                refused = True
                break
            sent += 1
    return OutboxFlush(sent=sent, left=OutboxMessage.objects.count(), refused=refused)


def waiting_messages(task_name: str) -> int | None:
    """How many messages wait in the queue that ``task_name`` is routed to (not those a worker holds);
    None when the broker cannot be asked. In-process there is no queue: 0."""
    if tasks_run_in_process():
        return 0
    queue = queue_of(task_name)
    try:
        with celery_app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:  # Redis keeps no empty list: the queue has no message
        return 0
    except (OperationalError, OSError) as error:
        log.warning("dispatch: cannot ask the broker about queue %s: %s", queue, error)
        return None


def queue_of(task_name: str) -> str:
    """The queue ``CELERY_TASK_ROUTES`` sends ``task_name`` to (a route may be a glob), else the default queue."""
    for pattern, route in django_settings.CELERY_TASK_ROUTES.items():
        if fnmatch.fnmatchcase(task_name, pattern):
            return route["queue"]
    return django_settings.CELERY_TASK_DEFAULT_QUEUE


def _record_on_commit(chains: list[list[list]]) -> None:
    """In-process, run on commit; with a broker, an outbox row per chain now and a send of each on commit."""
    if tasks_run_in_process():
        for steps in chains:
            signature = _signature(steps)
            transaction.on_commit(signature.apply_async)
        return
    from annotation.models import OutboxMessage

    rows = OutboxMessage.objects.bulk_create(OutboxMessage(steps=steps) for steps in chains)
    for row in rows:
        transaction.on_commit(partial(_send, row.pk, row.steps))


def _send(message_id: int, steps: list[list]) -> bool:
    """Hand one outbox row's message to the broker and delete the row; a refusal is logged and kept on the row."""
    from annotation.models import OutboxMessage

    try:
        _signature(steps).apply_async()
    except Exception as error:  # noqa: BLE001 - whatever the broker says, the work stays recorded
        log.warning(
            "dispatch: the broker refused %s (outbox row %s, resent by the reconciler): %s", steps, message_id, error
        )
        OutboxMessage.objects.filter(pk=message_id).update(
            send_attempts=F("send_attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        return False
    OutboxMessage.objects.filter(pk=message_id).delete()
    return True


def _signature(steps: list[list]) -> Signature:
    signatures = [_task(name).si(*args, **kwargs) for name, args, kwargs in steps]
    return signatures[0] if len(signatures) == 1 else chain(*signatures)


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
