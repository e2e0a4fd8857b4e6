"""Ways into the pipeline: linking a file, the admin's retry action, `process_videos`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from annotation.models import AuditEvent, Video
from annotation.services.content import video_attach_file
from annotation.services.video_processing import FINGERPRINT_SOURCE, PROCESSING_SOURCE, video_process


def run_command(*args) -> str:
    output = io.StringIO()
    call_command("process_videos", *args, stdout=output)
    return output.getvalue()


@pytest.mark.django_db(transaction=True)
def test_linking_a_file_processes_it_on_a_worker_then_fingerprints_it(
    celery_worker, video, generator, render_clip, outputs_of, frame_index, wait_for
):
    video_attach_file(video=video, source=render_clip("linked.mp4", frames=36, b_frames=2), actor=generator)

    wait_for(lambda: Video.objects.filter(pk=video.pk, status="ready").exclude(sha256="").exists(), seconds=30)
    video.refresh_from_db()
    manifest, index, folder = outputs_of(video)
    assert manifest["source"]["sha256"] == video.sha256 and video.frame_count == 36
    assert [frame_index(folder / row["scrub"]) for row in index["frames"]] == list(range(36))
    events = AuditEvent.objects.filter(target_kind="video", target_id=video.pk).order_by("id")
    assert [(e.actor_source, e.reason) for e in events][-4:] == [
        (generator.source, "clip file linked"),
        (PROCESSING_SOURCE, "frame pipeline: attempt 1"),
        (PROCESSING_SOURCE, "frame pipeline: done"),
        (FINGERPRINT_SOURCE, ""),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_admin_retry_action_requeues_a_failed_clip_with_a_fresh_budget(
    celery_worker, client, admin_user, linked_video, render_clip, wait_for
):
    video = linked_video(render_clip("retry.mp4", frames=12))
    with override_settings(FRAMES_MAX_PIXELS=100 * 100):
        video_process(video_id=video.pk)
    Video.objects.filter(pk=video.pk).update(processing_attempts=3)
    video.refresh_from_db()
    assert video.status == "failed" and "above the limit" in video.error

    client.force_login(admin_user)
    changelist = reverse("admin:annotation_video_changelist")
    page = client.get(changelist)
    assert "Retry / reprocess the frame pipeline" in page.content.decode()
    assert "above the limit" in page.content.decode()  # the error is listed
    response = client.post(
        changelist, {"action": "retry_processing", "_selected_action": [video.pk], "index": 0}, follow=True
    )
    assert "Queued 1 clip for the frame pipeline; the workers pick them up" in response.content.decode()

    wait_for(lambda: Video.objects.filter(pk=video.pk, status="ready").exclude(sha256="").exists(), seconds=30)
    video.refresh_from_db()
    assert (video.error, video.processing_attempts, video.frame_count) == ("", 1, 12)


@pytest.mark.django_db
@override_settings(CELERY_TASK_ALWAYS_EAGER=True)  # the embedded default: the command processes in-process
def test_process_videos_in_process_reports_each_clip_and_a_summary(benchmark, linked_video, render_clip, tmp_path):
    good = linked_video(render_clip("good.mp4", frames=10))
    text = tmp_path / "bad.mp4"
    text.write_text("not a video")
    bad = linked_video(text)

    first = run_command("--benchmark", benchmark.name)

    assert f"[1/2] {benchmark.name} / bad: failed: not a video" in first
    assert f"[2/2] {benchmark.name} / good: ready: 10 frames" in first
    assert "Done: 1 ready, 1 failed, 0 skipped." in first and "  failed: bad: not a video" in first
    good.refresh_from_db()
    assert good.sha256 and good.status == "ready"

    second = run_command()
    assert "Leaving 1 failed clip alone" in second
    assert "good: skipped: frames complete for this file and these settings" in second
    assert "Done: 0 ready, 0 failed, 1 skipped." in second

    forced = run_command("--force")
    assert "Done: 1 ready, 1 failed, 0 skipped." in forced
    assert Video.objects.get(pk=bad.pk).processing_attempts == 1
    with pytest.raises(CommandError, match="no benchmark named 'nope'"):
        run_command("--benchmark", "nope")


@pytest.mark.django_db(transaction=True)
def test_process_videos_queues_on_the_workers_when_a_broker_is_configured(
    celery_worker, linked_video, render_clip, wait_for
):
    videos = [linked_video(render_clip(f"queued{n}.mp4", frames=8)) for n in range(3)]

    output = run_command()

    assert "Queued 3 clips for the frame pipeline; the workers pick them up" in output
    done = Video.objects.filter(pk__in=[v.pk for v in videos], status="ready").exclude(sha256="")  # the chain's end
    wait_for(lambda: done.count() == 3, seconds=30)
