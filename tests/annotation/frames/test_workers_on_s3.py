"""Many workers that share nothing but PostgreSQL, the broker and the bucket (issue 18, point 4)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from celery import chain
from django.conf import settings

from annotation.models import Video
from annotation.tasks import fingerprint_video, process_video

CLIPS = (  # real H.264 clips whose every frame shows its index; MPEG-TS ones need a proxy
    ("a.mp4", {"frames": 30}),
    ("b.ts", {"frames": 24, "container": "mpegts"}),
    ("c.mp4", {"frames": 36, "rotation": 90}),
    ("d.mp4", {"frames": 20, "b_frames": 2}),
    ("e.ts", {"frames": 28, "container": "mpegts"}),
    ("f.mp4", {"frames": 32, "fps": 30}),
)


def files_under(folder) -> list[str]:
    """What is left in a folder, but for the pool's own ``pymp-*`` folder (multiprocessing's, in TMPDIR)."""
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if not p.relative_to(folder).parts[0].startswith("pymp-")
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_with_their_own_empty_folders_put_every_clips_outputs_in_the_bucket_and_none_on_disk(
    s3_bucket, start_worker, render_clip, linked_video, frame_index, media_root, tmp_path, wait_for
):
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-s3"
    machines = {}
    for name in ("frames-a", "frames-b"):
        folders = {kind: tmp_path / name / kind for kind in ("media", "staging", "tmp")}
        for folder in folders.values():
            folder.mkdir(parents=True)
        machines[name] = folders
        start_worker(
            queue=queue,
            hostname=f"{name}@%h",
            env={
                **s3_bucket.env(),
                "MEDIA_ROOT": str(folders["media"]),
                "FRAMES_STAGING_DIR": str(folders["staging"]),
                "TMPDIR": str(folders["tmp"]),
                "CELERY_TASK_DEFAULT_QUEUE": queue,
            },
        )
    sources = {file: render_clip(file, **spec) for file, spec in CLIPS}
    videos = [linked_video(path) for path in sources.values()]  # uploaded to the bucket by this process
    for video in videos:  # what video_processing_request sends, on this test's own queue
        chain(process_video.si(video.pk, False).set(queue=queue), fingerprint_video.si(video.pk).set(queue=queue))()

    done = Video.objects.filter(pk__in=[v.pk for v in videos], status__in=("ready", "failed")).exclude(sha256="")
    wait_for(lambda: done.count() == len(videos), seconds=240)

    bucket_keys = set(s3_bucket.keys())
    for video, source in zip(videos, sources.values(), strict=True):
        video.refresh_from_db()
        assert video.status == "ready", (video.clip_name, video.error)
        assert video.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        manifest = json.loads(s3_bucket.read(video.frames_manifest))
        folder = video.frames_manifest.rsplit("/", 1)[0]
        assert {f"{folder}/{name}" for name in manifest["files"]} <= bucket_keys
        assert manifest["frame_count"] == dict(CLIPS)[source.name]["frames"]
        assert bool(video.proxy_file) == (source.suffix == ".ts")
        if video.proxy_file:
            assert video.proxy_file in bucket_keys
        last = manifest["frame_count"] - 1
        shown = tmp_path / "shown.jpg"
        for index in (0, last):
            shown.write_bytes(s3_bucket.read(f"{folder}/scrub/{index:06d}.jpg"))
            assert frame_index(shown) == index, (video.clip_name, index)
    for video in videos:  # this process's media folder (shared by the run's tests) got nothing of them either
        assert not (media_root / "frames" / str(video.pk)).exists() and not (media_root / video.file.name).exists()
    for name, folders in machines.items():
        for folder in folders.values():
            assert files_under(folder) == [], (name, folder.name)  # staged, uploaded, removed
    processed_by = {
        name: len(
            re.findall(r"Task annotation\.process_video\[[^]]+\] succeeded", (tmp_path / f"worker-{n}.log").read_text())
        )
        for n, name in enumerate(machines)
    }
    assert sum(processed_by.values()) == len(videos) and all(processed_by.values()), processed_by
