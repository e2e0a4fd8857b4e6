import hashlib

import pytest

from annotation.models import AuditEvent, Video
from annotation.services.content import video_attach_file
from annotation.services.video_processing import FINGERPRINT_SOURCE


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_fingerprints_a_linked_clip_after_commit(celery_worker, video, generator, tmp_path, wait_for):
    clip = tmp_path / "clip_001.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4000)
    video_attach_file(video=video, source=clip, actor=generator)

    wait_for(lambda: Video.objects.get(pk=video.pk).sha256, seconds=30)
    video.refresh_from_db()
    assert video.sha256 == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert video.size_bytes == clip.stat().st_size
    assert video.file.name == f"clips/{video.benchmark_id}/clip_001.mp4"
    fingerprinted = AuditEvent.objects.filter(target_kind="video", target_id=video.pk).last()
    assert (fingerprinted.actor_source, fingerprinted.after["sha256"]) == (FINGERPRINT_SOURCE, video.sha256)
    assert celery_worker.poll() is None  # the worker is still alive after the task
