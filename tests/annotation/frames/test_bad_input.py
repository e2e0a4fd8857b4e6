"""Broken and extreme files each end failed with a clear reason, or ready; none hangs a worker."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from annotation.models import Video
from annotation.services.content import video_attach_file, video_register
from annotation.services.video_processing import video_process

# name -> (status, words the error must contain)
EXPECTED = {
    "empty": ("failed", "empty file (0 bytes)"),
    "text_renamed": ("failed", "not a video: FFmpeg cannot read a media container"),
    "audio_only": ("failed", "no video stream (streams found: audio)"),
    "zero_length_stream": ("failed", "zero frames: the video stream holds no decodable frame"),
    "empty_track": ("failed", "no video stream (streams found: none)"),
    "unknown_codec": ("failed", "unsupported codec"),
    "truncated": ("failed", "truncated file: the MP4 has no complete 'moov' index"),
    "truncated_faststart": ("failed", "truncated file: the MP4's 'mdat' box runs past the end of the file"),
    "one_frame": ("ready", ""),
    "eight_k": ("failed", "frame size 7680x4320 (33.2 MP) is above the limit of 9.4 MP per frame (FRAMES_MAX_PIXELS)"),
}


@pytest.fixture(scope="module")
def corpus(broken_corpus):
    assert set(broken_corpus) == set(EXPECTED)
    return broken_corpus


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_ends_failed_with_its_reason_or_ready(name, corpus, linked_video):
    video = linked_video(corpus[name], clip_name=name)

    outcome = video_process(video_id=video.pk)

    video.refresh_from_db()
    status, reason = EXPECTED[name]
    assert (outcome.status, video.status) == (status, status)
    assert reason in video.error and (video.error == "") == (status == "ready")
    if status == "failed":
        assert (video.frames_manifest, video.model_view_indices, video.proxy_file) == ("", {}, "")
        assert not default_storage.exists(f"frames/{video.pk}")  # nothing that looks like frames


@pytest.mark.django_db
def test_the_one_frame_clip_has_one_frame_everywhere(corpus, linked_video, outputs_of, frame_index):
    video = linked_video(corpus["one_frame"])
    video_process(video_id=video.pk)

    video.refresh_from_db()
    manifest, index, folder = outputs_of(video)
    assert video.frame_count == manifest["frame_count"] == len(index["frames"]) == 1
    assert video.model_view_indices == {"uniform-8": [0], "mac2026": [0], "single-frame": [0]}
    assert frame_index(folder / "scrub/000000.jpg") == frame_index(folder / "model/000000.jpg") == 0


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_settles_the_whole_corpus_and_stays_up(celery_worker, corpus, benchmark, generator, wait_for):
    videos = {}
    for name, path in corpus.items():
        video = video_register(benchmark=benchmark, clip_name=name, actor=generator)
        videos[name] = video_attach_file(video=video, source=path, actor=generator)  # enqueues on commit

    settled = ("ready", "failed")
    wait_for(
        lambda: (
            Video.objects.filter(pk__in=[v.pk for v in videos.values()], status__in=settled, sha256__gt="").count()
            == len(videos)
        ),
        seconds=60,
    )
    for name, video in videos.items():
        video.refresh_from_db()
        assert (video.status, EXPECTED[name][1] in video.error) == (EXPECTED[name][0], True), name
        assert video.processing_attempts == 1
    assert celery_worker.poll() is None
