"""The frame pipeline and the media views on an S3 bucket: moto's standalone server on 127.0.0.1,
reached by django-storages through the real boto3 over HTTP (fixture ``s3_bucket``)."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse

from annotation.frames.outputs import LOCAL_SOURCE_PREFIX, LOCAL_STAGING_PREFIX
from annotation.models import Video
from annotation.services.video_processing import video_processing_run_here
from review.scrubber import scrub_view

pytestmark = pytest.mark.django_db


def fetch(url: str, headers: dict[str, str] | None = None):
    """What a browser following the redirect gets from the bucket: status, headers (any case), body."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
        return response.status, response.headers, response.read()


def process_on_s3(s3_bucket, linked_video, path) -> Video:
    video = linked_video(path)
    assert video.file.name in s3_bucket.keys("clips/")  # the clip itself was uploaded by the storage
    outcome = video_processing_run_here(video_id=video.pk)
    assert outcome.status == "ready", outcome.detail
    video.refresh_from_db()
    return video


def test_a_clip_on_s3_is_processed_into_the_bucket_with_every_output_the_manifest_lists(
    s3_bucket, render_clip, linked_video, frame_index, media_root, tmp_path, settings
):
    source = render_clip("s3.ts", frames=30, container="mpegts")  # not browser-friendly: a proxy too
    settings.FRAMES_STAGING_DIR = str(tmp_path / "staging")
    (tmp_path / "staging").mkdir()
    video = process_on_s3(s3_bucket, linked_video, source)

    manifest = json.loads(s3_bucket.read(video.frames_manifest))
    folder = video.frames_manifest.rsplit("/", 1)[0]
    assert manifest["source"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest() == video.sha256
    assert video.size_bytes == source.stat().st_size  # the fingerprint streamed the stored clip
    stored = s3_bucket.keys(f"frames/{video.pk}/")
    assert stored == sorted(f"{folder}/{name}" for name in [*manifest["files"], "manifest.json"])
    assert video.proxy_file == f"{folder}/proxy.mp4" and manifest["proxy"]["reason"]
    shown = tmp_path / "frame.jpg"
    for index in (0, 17, 29):
        shown.write_bytes(s3_bucket.read(f"{folder}/scrub/{index:06d}.jpg"))
        assert frame_index(shown) == index
    assert not (media_root / "frames" / str(video.pk)).exists()  # nothing of it on the local disk
    assert not (media_root / video.file.name).exists()
    assert list((tmp_path / "staging").iterdir()) == []  # the local staging is gone after the upload


def test_reprocessing_on_s3_replaces_the_outputs_and_sweeps_stale_local_staging(
    s3_bucket, render_clip, linked_video, tmp_path, settings
):
    settings.FRAMES_STAGING_DIR = str(tmp_path)
    killed = [tmp_path / f"{LOCAL_STAGING_PREFIX}killed", tmp_path / f"{LOCAL_SOURCE_PREFIX}killed"]
    for folder in killed:  # what a worker killed mid-clip leaves on its machine
        (folder / "scrub").mkdir(parents=True)
        (folder / "scrub" / "000000.jpg").write_bytes(b"half")
    video = process_on_s3(s3_bucket, linked_video, render_clip("again.mp4", frames=12))
    before = s3_bucket.keys(f"frames/{video.pk}/")
    assert all(folder.exists() for folder in killed)  # young: maybe a run still going

    settings.FRAMES_STALE_STAGING_SECONDS = 0
    assert video_processing_run_here(video_id=video.pk, force=True).status == "ready"
    assert s3_bucket.keys(f"frames/{video.pk}/") == before  # the same names, replaced in place
    assert not any(folder.exists() for folder in killed)


@pytest.fixture
def s3_clip(s3_bucket, render_clip, linked_video):
    return process_on_s3(s3_bucket, linked_video, render_clip("served.ts", frames=40, container="mpegts"))


def test_frames_and_clips_redirect_to_presigned_urls_the_bucket_answers_with_ranges(s3_clip, client, reviewer):
    client.force_login(reviewer)
    view = scrub_view(s3_clip)
    frame = client.get(reverse("clip-frame", args=[s3_clip.pk, 21]))
    assert frame.status_code == 302 and "X-Amz-Signature=" in frame["Location"]
    assert frame["Cache-Control"] == "private, max-age=300"  # half the URL's 600 s life
    status, headers, body = fetch(frame["Location"])
    with default_storage.open(view.scrub_file(21), "rb") as stored:
        assert (status, headers["Content-Type"], body) == (200, "image/jpeg", stored.read())

    clip = client.get(reverse("clip-file", args=[s3_clip.pk]))
    assert clip.status_code == 302
    status, headers, body = fetch(clip["Location"], {"Range": "bytes=100-199"})
    size = default_storage.size(s3_clip.proxy_file)
    assert (status, headers["Content-Range"], len(body)) == (206, f"bytes 100-199/{size}", 100)
    with default_storage.open(s3_clip.proxy_file, "rb") as stored:
        assert body == stored.read()[100:200]


def test_nobody_without_access_to_the_clip_gets_a_presigned_url(s3_clip, client, annotator):
    frame, clip = reverse("clip-frame", args=[s3_clip.pk, 0]), reverse("clip-file", args=[s3_clip.pk])
    assert client.get(frame)["Location"].startswith("/accounts/login")
    client.force_login(annotator)  # annotators see clips only through their own claimed slot
    for url in (frame, clip):
        response = client.get(url)
        assert response.status_code in (403, 404) and "Location" not in response


@override_settings(MEDIA_DELIVERY="stream")
def test_streamed_from_the_bucket_frames_and_clip_ranges_are_the_stored_bytes(s3_clip, client, reviewer):
    client.force_login(reviewer)
    view = scrub_view(s3_clip)
    frame = client.get(reverse("clip-frame", args=[s3_clip.pk, 39]))
    with default_storage.open(view.scrub_file(39), "rb") as stored:
        assert frame.status_code == 200 and b"".join(frame.streaming_content) == stored.read()
    assert frame["Cache-Control"] == "private, max-age=604800, immutable"

    url = reverse("clip-file", args=[s3_clip.pk])
    with default_storage.open(s3_clip.proxy_file, "rb") as stored:
        whole = stored.read()
    size = len(whole)
    cases = {"bytes=0-99": (0, 99), "bytes=1000-": (1000, size - 1), "bytes=-300": (size - 300, size - 1)}
    for header, (first, last) in cases.items():
        part = client.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert b"".join(part.streaming_content) == whole[first : last + 1]
    beyond = client.get(url, headers={"Range": f"bytes={size}-"})
    assert (beyond.status_code, beyond["Content-Range"]) == (416, f"bytes */{size}")
    full = client.get(url)
    assert full.status_code == 200 and int(full["Content-Length"]) == size and "Content-Disposition" not in full
    assert b"".join(full.streaming_content) == whole
