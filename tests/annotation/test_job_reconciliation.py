"""The reconciler: what the broker refused is sent once it is back; work with no live task is sent again,
once per loss; a resend of work that is in fact running does nothing; attempt limits hold."""

from __future__ import annotations

import io
import os
import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from annotation.dispatch import queue_of
from annotation.models import AuditEvent, GeneratedClip, GenerationRun, OutboxMessage, RunChunk, Video
from annotation.services.audited_writes import change_audited
from annotation.services.baselines import run_prepare
from annotation.services.content import video_register
from annotation.services.generation import generation_prepare
from annotation.services.job_reconciliation import jobs_reconcile
from annotation.services.video_processing import video_process, video_processing_request
from annotation.tasks import process_video
from mabench_site.celery import app as celery_app

LONG_AGO = timedelta(hours=1)


@pytest.fixture
def sent(monkeypatch):
    """What would reach the broker, as (task name, args) per message; nothing is sent."""
    messages = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args=None, kwargs=None, **o: messages.append((name, list(args or ())))
    )
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        yield messages


@contextmanager
def broker_down():
    """Point this process's Celery at a port where no broker listens (a broker outage, as the web sees it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = celery_app.conf.broker_url

    def point_at(target: str) -> None:
        os.environ["CELERY_BROKER_URL"] = target  # Celery reads the environment's first
        celery_app.conf.broker_url = target
        celery_app._pool = None  # connections are pooled per broker URL
        celery_app.amqp._producer_pool = None

    point_at(f"redis://127.0.0.1:{port}/0")
    try:
        yield
    finally:
        point_at(url)


@pytest.fixture
def linked(benchmark, generator):
    """``linked(name)``: a clip with a file name linked (no bytes: these runs stop before reading it)."""

    def link(name: str) -> Video:
        video = video_register(benchmark=benchmark, clip_name=name, actor=generator)
        Video.objects.filter(pk=video.pk).update(file=f"clips/{benchmark.pk}/{name}.mp4")
        return Video.objects.get(pk=video.pk)

    return link


def reconcile(**overrides) -> list[str]:
    with override_settings(**{"OUTBOX_SEND_GRACE_SECONDS": 0, **overrides}):
        return jobs_reconcile().lines()


def processing(video: Video, generator, *, heartbeat, attempts: int = 1) -> Video:
    """``video`` as a worker left it: processing, with this heartbeat, a run owed since long ago."""
    change_audited(model=Video, pk=video.pk, actor=generator, changes={"status": "processing"}, expected_version=None)
    Video.objects.filter(pk=video.pk).update(
        heartbeat_at=heartbeat, processing_attempts=attempts, processing_requested_at=timezone.now() - LONG_AGO
    )
    return Video.objects.get(pk=video.pk)


@pytest.mark.django_db(transaction=True)
def test_the_admin_retry_answers_queued_while_the_broker_is_down_and_the_clip_is_sent_once_it_is_back(
    celery_worker, client, admin_user, processed_clip, wait_for
):
    video = processed_clip
    client.force_login(admin_user)
    changelist = reverse("admin:annotation_video_changelist")

    with broker_down():
        response = client.post(
            changelist, {"action": "retry_processing", "_selected_action": [video.pk], "index": 0}, follow=True
        )

    assert response.status_code == 200
    assert "Queued 1 clip for the frame pipeline; the workers pick them up" in response.content.decode()
    refused = OutboxMessage.objects.get()
    assert refused.send_attempts == 1 and "OperationalError" in refused.last_error
    assert Video.objects.get(pk=video.pk).processing_requested_at is not None

    output = io.StringIO()
    with override_settings(OUTBOX_SEND_GRACE_SECONDS=0):
        call_command("reconcile_jobs", stdout=output)
    assert "outbox: 1 sent, 0 left unsent" in output.getvalue()
    wait_for(lambda: Video.objects.filter(pk=video.pk, status="ready").exclude(sha256="").exists(), seconds=30)
    assert Video.objects.get(pk=video.pk).processing_requested_at is None


@pytest.mark.django_db(transaction=True)
def test_the_reconcile_command_says_the_broker_is_still_down_and_keeps_the_message(linked):
    video = linked("down")
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False), broker_down():
        assert video_processing_request(video_ids=[video.pk]) == 1  # no exception: the request commits
        output = io.StringIO()
        with override_settings(OUTBOX_SEND_GRACE_SECONDS=0), pytest.raises(SystemExit) as exit_status:
            call_command("reconcile_jobs", stdout=output)
    assert exit_status.value.code == 1
    assert output.getvalue().splitlines() == [
        "outbox: 0 sent, 1 left unsent",
        "the broker refused a message: nothing else was sent; the next pass tries again",
    ]
    assert OutboxMessage.objects.get().send_attempts == 2  # the commit's send and the reconciler's


@pytest.mark.django_db(transaction=True)
def test_a_dead_workers_clip_is_sent_again_once(sent, linked, generator):
    video = processing(linked("dead"), generator, heartbeat=timezone.now() - LONG_AGO)

    first = reconcile()
    second = reconcile()

    assert sent == [("annotation.process_video", [video.pk, False])]  # the chain's first task, once
    assert "clips: 1 sent again" in first and "clips: 0 sent again" in second
    assert Video.objects.get(pk=video.pk).heartbeat_at is None  # the resent run may claim it


@pytest.mark.django_db(transaction=True)
def test_a_clip_whose_worker_beats_is_not_sent_and_a_duplicate_delivery_does_nothing(sent, linked, generator):
    video = processing(linked("alive"), generator, heartbeat=timezone.now())
    events = AuditEvent.objects.count()

    assert "clips: 0 sent again" in reconcile()
    outcome = video_process(video_id=video.pk)  # as a redelivered message would

    assert sent == []
    assert (outcome.status, outcome.detail) == (
        "skipped",
        "another worker is processing this clip (its heartbeat is fresh)",
    )
    after = Video.objects.get(pk=video.pk)
    assert (after.status, after.processing_attempts, AuditEvent.objects.count()) == ("processing", 1, events)


@pytest.mark.django_db(transaction=True)
def test_a_resent_clip_past_the_attempt_limit_fails_saying_so_and_is_not_sent_again(sent, linked, generator):
    video = linked("crashy")
    processing(video, generator, heartbeat=timezone.now() - LONG_AGO, attempts=settings.FRAMES_MAX_ATTEMPTS)

    reconcile()
    ((name, args),) = sent
    assert process_video(*args) == "failed"  # what the worker does with the resent message

    video.refresh_from_db()
    assert video.status == "failed" and video.error.startswith("gave up after 3 attempts: each run was interrupted")
    assert (video.processing_requested_at, video.heartbeat_at) == (None, None)
    assert "clips: 0 sent again" in reconcile() and len(sent) == 1


@pytest.mark.django_db(transaction=True)
def test_an_owed_clip_whose_message_is_nowhere_is_sent_again_once_and_one_just_requested_waits(sent, linked):
    lost = linked("lost")
    fresh = linked("fresh")
    Video.objects.filter(pk=lost.pk).update(processing_requested_at=timezone.now() - LONG_AGO)
    Video.objects.filter(pk=fresh.pk).update(processing_requested_at=timezone.now())

    reconcile()
    reconcile()

    assert sent == [("annotation.process_video", [lost.pk, False])]


@pytest.mark.django_db(transaction=True)
def test_the_outbox_is_sent_once_and_emptied(linked, monkeypatch):
    video = linked("outbox")
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False), broker_down():
        video_processing_request(video_ids=[video.pk], force=True)
    assert OutboxMessage.objects.count() == 1

    messages = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args=None, kwargs=None, **o: messages.append((name, list(args or ())))
    )
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        young = reconcile(OUTBOX_SEND_GRACE_SECONDS=10)  # as if its commit were still sending it
        assert young[:2] == ["outbox: 0 sent, 1 left unsent", "clips: 0 sent again"] and messages == []
        assert reconcile()[0] == "outbox: 1 sent, 0 left unsent"
        assert reconcile()[0] == "outbox: 0 sent, 0 left unsent"
    assert messages[0] == ("annotation.process_video", [video.pk, True])
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_baseline_chunks_lost_or_outlived_are_sent_again_once_and_a_stopped_chain_restarts(sent, make_item):
    for n in range(3):
        make_item(f"SAD_{n:04d}")
    run = run_prepare(benchmark=make_item("SAD_0100").benchmark, predictor="random", name="random")
    chunk = RunChunk.objects.get(run=run)
    assert [name for name, _ in sent] == ["annotation.predict_chunk"] and chunk.status == "queued"

    assert "baseline chunks: 0 sent again" in reconcile()  # just queued: it waits
    RunChunk.objects.filter(pk=chunk.pk).update(queued_at=timezone.now() - LONG_AGO)  # its message is nowhere
    assert "baseline chunks: 1 sent again" in reconcile()
    assert "baseline chunks: 0 sent again" in reconcile()

    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    RunChunk.objects.filter(pk=chunk.pk).update(status="running", claimed_at=long_ago)  # its worker was killed
    assert "baseline chunks: 1 sent again" in reconcile()
    assert [args for _, args in sent] == [[chunk.pk]] * 3
    assert RunChunk.objects.get(pk=chunk.pk).status == "queued"

    RunChunk.objects.filter(pk=chunk.pk).update(status="pending")  # a chain that stopped before sending it
    assert "baseline chunks: 1 sent again" in reconcile()
    assert len(sent) == 4


@pytest.mark.django_db(transaction=True)
def test_a_generation_run_whose_chains_stopped_is_restarted_once_and_a_finished_one_is_closed(
    sent, benchmark, make_caption
):
    make_caption()
    run = generation_prepare(benchmark=benchmark, generator="template", include_unreviewed=True)
    chains = settings.BASELINE_PARALLEL_CHUNKS
    assert [name for name, _ in sent] == ["annotation.generate_clip_batch"] * chains

    assert "generation batches: 0 sent again" in reconcile()  # a batch was queued just now: its chain lives
    long_ago = timezone.now() - LONG_AGO
    GenerationRun.objects.filter(pk=run.pk).update(batch_queued_at=long_ago, created_at=long_ago)  # messages lost
    assert "generation batches: 1 sent again" in reconcile()
    assert "generation batches: 0 sent again" in reconcile()
    assert [args for _, args in sent] == [[run.pk]] * (2 * chains)

    GeneratedClip.objects.filter(run=run).update(status="done")  # done, but no chain got to finish the run
    reconcile()
    assert GenerationRun.objects.get(pk=run.pk).status == "done"


def test_each_kind_of_work_has_its_queue_and_the_dispatch_module_agrees_with_celery():
    celery_app.autodiscover_tasks(force=True)
    queues = settings.CELERY_QUEUES_BY_KIND
    expected = {
        "annotation.process_video": queues["frames"],
        "annotation.fingerprint_video": queues["frames"],
        "annotation.predict_chunk": queues["models"],
        "annotation.generate_clip_batch": queues["generation"],
        "annotation.run_import": queues["imports"],
        "annotation.reconcile_jobs": settings.CELERY_TASK_DEFAULT_QUEUE,
        "review.sweep_expired_leases": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    routed = {name: celery_app.amqp.router.route({}, name)["queue"].name for name in expected}
    assert routed == expected
    assert {name: queue_of(name) for name in expected} == expected
    assert len(set(queues.values())) == 4
