"""An openai-compatible run sends each clip's precomputed model-view frames."""

import base64
import io

from PIL import Image

from annotation.frames.sampling import mac2026_indices
from annotation.models import Prediction, Video
from annotation.services.baselines import run_prepare
from annotation.services.content import video_attach_file
from annotation.services.video_processing import video_processing_run_here
from demo.figure_clips import render_micro_action_clip


def test_the_model_sees_the_mac2026_frames_the_pipeline_stored(
    benchmark, video, make_item, generator, tmp_path, chat_endpoint, first_option, tasks_in_process
):
    clip = render_micro_action_clip(tmp_path / "clip_001.mp4", action="B1", seconds=2.4, fps=25, width=160, height=120)
    video_attach_file(video=video, source=clip.path, actor=generator)
    video_processing_run_here(video_id=video.pk)
    video = Video.objects.get(pk=video.pk)
    assert video.status == "ready" and video.frames_manifest
    make_item("FMAR_0001", task="FMAR")

    with chat_endpoint(first_option) as server, tasks_in_process():
        run = run_prepare(
            benchmark=benchmark,
            predictor="openai-compatible",
            name="vlm",
            settings={"base_url": server.base_url, "model": "vlm", "sampling": "mac2026"},
        )
    images = server.requests[0]["json"]["messages"][1]["content"][:-1]
    expected = mac2026_indices(25, clip.frame_count)
    assert len(images) == len(expected) == 8 and expected == video.model_view_indices["mac2026"]
    first = Image.open(io.BytesIO(base64.b64decode(images[0]["image_url"]["url"].split(",", 1)[1])))
    assert first.format == "JPEG" and first.size == (160, 120)
    prediction = Prediction.objects.get(run=run)
    assert (prediction.parsed_answer, prediction.correct) == ("A", True)
    assert prediction.prompt[1]["content"][0]["image_url"]["url"].startswith("<frame 1 of 8,")


def test_a_uniform_run_sends_the_stored_uniform_frames_and_an_unknown_strategy_is_an_error(
    benchmark, processed_clip, make_item, chat_endpoint, first_option, tasks_in_process
):
    import posixpath

    from django.core.files.storage import default_storage

    from annotation.frames.outputs import read_manifest

    make_item("FMAR_0001", task="FMAR")
    with chat_endpoint(first_option) as server, tasks_in_process():
        run_prepare(
            benchmark=benchmark,
            predictor="openai-compatible",
            name="vlm-u8",
            settings={"base_url": server.base_url, "model": "vlm", "sampling": "uniform-8"},
        )
        missing = run_prepare(
            benchmark=benchmark,
            predictor="openai-compatible",
            name="vlm-u5",
            settings={"base_url": server.base_url, "model": "vlm", "sampling": "uniform-5"},
        )
    images = server.requests[0]["json"]["messages"][1]["content"][:-1]
    indices = processed_clip.model_view_indices["uniform-8"]
    manifest = read_manifest(processed_clip.frames_manifest)
    folder = posixpath.dirname(processed_clip.frames_manifest)
    with default_storage.open(f"{folder}/{manifest['model_view']['files'][str(indices[5])]}", "rb") as stored:
        assert base64.b64decode(images[5]["image_url"]["url"].split(",", 1)[1]) == stored.read()
    assert len(images) == 8 and len(server.requests) == 1  # the uniform-5 run never reached the endpoint
    failed = Prediction.objects.get(run=missing)
    assert (
        failed.outcome == "error"
        and "no 'uniform-5' frames; the pipeline made mac2026, single-frame, uniform-8" in failed.error
    )
