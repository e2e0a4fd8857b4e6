"""Killed, timed out, delivered twice, given up, or on remote storage: never an asset that
looks complete when it is not, and a rerun finishes the clip."""

from __future__ import annotations

import json
import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from annotation.models import AuditEvent, Video
from annotation.services.audited_writes import change_audited
from annotation.services.video_processing import video_process
from annotation.tasks import process_video


def stale_before(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def video_folder(video: Video) -> Path:
    return Path(settings.MEDIA_ROOT) / "frames" / str(video.pk)


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def events_of(video: Video) -> list[tuple[str, dict]]:
    return [(e.reason, e.after) for e in AuditEvent.objects.filter(target_kind="video", target_id=video.pk)]


def assert_scrub_frames_show_their_index(video: Video, outputs_of, frame_index) -> None:
    manifest, index, folder = outputs_of(video)
    rows = [row for row in index["frames"] if "scrub" in row]
    assert [frame_index(folder / row["scrub"]) for row in rows] == list(range(manifest["frame_count"]))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_clip_leaves_nothing_that_looks_finished_and_a_rerun_finishes(
    start_worker, render_clip, linked_video, outputs_of, frame_index, wait_for
):
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-kill"
    slow = start_worker(queue=queue, env={"MABENCH_TEST_FRAME_DELAY_SECONDS": "0.05"})
    video = linked_video(render_clip("slow.ts", frames=60, container="mpegts"))  # not browser-friendly: a proxy too
    process_video.apply_async(args=[video.pk], queue=queue)

    folder = video_folder(video)
    wait_for(lambda: len(list(folder.glob(".staging-*/scrub/*.jpg"))) >= 10, seconds=30)
    os.killpg(slow.pid, signal.SIGKILL)  # the whole worker: main process and pool child
    slow.wait(timeout=10)

    video.refresh_from_db()
    assert (video.status, video.processing_attempts, video.frames_manifest) == ("processing", 1, "")
    assert [p.name.startswith(".staging-") for p in folder.iterdir()] == [True]  # no version folder
    assert not list(folder.rglob("manifest.json")) and not list(folder.rglob("index.json"))
    assert 10 <= len(list(folder.glob(".staging-*/scrub/*.jpg"))) < 60

    # a fresh worker; the same task again, as a redelivery would, once the dead worker's heartbeat is stale
    start_worker(queue=queue, env={"FRAMES_HEARTBEAT_STALE_SECONDS": "1"})
    wait_for(lambda: not Video.objects.filter(pk=video.pk, heartbeat_at__gt=stale_before(1)).exists(), seconds=5)
    process_video.apply_async(args=[video.pk], queue=queue)
    wait_for(lambda: Video.objects.get(pk=video.pk).status == "ready", seconds=30)

    video.refresh_from_db()
    assert video.processing_attempts == 2
    assert_scrub_frames_show_their_index(video, outputs_of, frame_index)
    assert video.proxy_file and default_storage.exists(video.proxy_file)
    with override_settings(FRAMES_STALE_STAGING_SECONDS=0):
        video_process(video_id=video.pk, force=True)  # a later run sweeps the killed run's staging
    assert [p.name for p in folder.iterdir()] == [Path(video.frames_manifest).parent.name]


@pytest.mark.django_db
def test_soft_time_limit_fails_the_clip_with_the_reason_and_removes_its_staging(render_clip, linked_video):
    video = linked_video(render_clip("slow.mp4", frames=60))

    def soft_limit(signum, frame):  # what Celery's soft time limit does in a worker
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, soft_limit)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.4)
        with override_settings(FRAMES_TEST_FRAME_DELAY_SECONDS=0.03):
            assert process_video(video.pk) == "failed"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    video.refresh_from_db()
    assert video.status == "failed"
    assert video.error == "took longer than the soft time limit of 300 s (FRAMES_TASK_SOFT_TIME_LIMIT)"
    assert not video_folder(video).exists()


@pytest.mark.django_db
def test_a_duplicate_delivery_changes_nothing_and_a_forced_run_writes_the_same_bytes(
    render_clip, linked_video, outputs_of
):
    video = linked_video(render_clip("twice.ts", frames=30, container="mpegts"))
    video_process(video_id=video.pk)
    video.refresh_from_db()
    _, _, folder = outputs_of(video)
    before = {name: (folder / name).read_bytes() for name in files_under(folder)}
    events = events_of(video)

    again = video_process(video_id=video.pk)

    assert (again.status, again.detail) == ("skipped", "frames complete for this file and these settings")
    assert events_of(video) == events
    forced = video_process(video_id=video.pk, force=True)
    assert forced.status == "ready"
    assert {name: (folder / name).read_bytes() for name in files_under(folder)} == before  # deterministic
    assert [reason for reason, _ in events_of(video)[len(events) :]] == [
        "frame pipeline: reprocess",
        "frame pipeline: attempt 2 (forced)",
        "frame pipeline: done",
    ]


@pytest.mark.django_db
def test_a_run_killed_after_publishing_is_finished_from_the_published_outputs(render_clip, linked_video, generator):
    video = linked_video(render_clip("published.mp4", frames=20))
    video_process(video_id=video.pk)
    video.refresh_from_db()
    manifest_name = video.frames_manifest
    # as if the worker died between publishing the folder and recording it: status processing, fields empty
    for status in ("pending", "processing"):
        change_audited(model=Video, pk=video.pk, actor=generator, changes={"status": status}, expected_version=None)
    Video.objects.filter(pk=video.pk).update(frames_manifest="", model_view_indices={})
    mtime = (Path(settings.MEDIA_ROOT) / manifest_name).stat().st_mtime_ns

    outcome = video_process(video_id=video.pk)

    video.refresh_from_db()
    assert (outcome.status, outcome.detail) == ("ready", "20 frames (kept the complete outputs found)")
    assert video.frames_manifest == manifest_name and video.model_view_indices["uniform-8"]
    assert (Path(settings.MEDIA_ROOT) / manifest_name).stat().st_mtime_ns == mtime


@pytest.mark.django_db
def test_after_max_attempts_the_clip_fails_saying_so(render_clip, linked_video):
    video = linked_video(render_clip("crashy.mp4", frames=10))
    Video.objects.filter(pk=video.pk).update(processing_attempts=settings.FRAMES_MAX_ATTEMPTS)

    outcome = video_process(video_id=video.pk)

    video.refresh_from_db()
    assert (outcome.status, video.status) == ("failed", "failed")
    assert video.error.startswith("gave up after 3 attempts: each run was interrupted (worker killed, out of memory")
    assert not video_folder(video).exists()
    assert video_process(video_id=video.pk).status == "skipped"  # a late redelivery does not retry it


@pytest.mark.django_db
def test_on_remote_storage_the_manifest_is_uploaded_last_and_an_outage_leaves_no_manifest(
    remote_storage, render_clip, linked_video, frame_index, tmp_path
):
    video = linked_video(render_clip("remote.ts", frames=24, container="mpegts"))
    remote_storage.saved.clear()
    remote_storage.fail_after_saves = 10
    outcome = video_process(video_id=video.pk)

    video.refresh_from_db()
    assert (outcome.status, video.status) == ("failed", "failed")
    assert "internal error (OSError: remote storage unavailable (test outage))" in video.error
    assert not any(name.endswith("manifest.json") for name in remote_storage.saved)
    assert not files_under(video_folder(video))  # the partial upload was deleted

    remote_storage.saved.clear()
    remote_storage.fail_after_saves = None
    outcome = video_process(video_id=video.pk, force=True)

    video.refresh_from_db()
    assert outcome.status == "ready"
    uploaded = [name for name in remote_storage.saved if name.startswith("frames/")]
    assert uploaded[-1] == video.frames_manifest  # last: the completeness marker
    with default_storage.open(video.frames_manifest) as handle:
        manifest = json.load(handle)
    folder = video.frames_manifest.rsplit("/", 1)[0]
    assert sorted(uploaded[:-1]) == [f"{folder}/{name}" for name in manifest["files"]]
    scrub = tmp_path / "scrub.jpg"
    for n in (0, 23):
        with default_storage.open(f"{folder}/scrub/{n:06d}.jpg") as handle:
            scrub.write_bytes(handle.read())
        assert frame_index(scrub) == n
