"""An openai-compatible run sends each clip's precomputed model-view frames."""

import base64
import io

from PIL import Image

from annotation.demo.figure_clips import render_micro_action_clip
from annotation.frames.sampling import mac2026_indices
from annotation.models import Prediction, Video
from annotation.services.baselines import run_prepare
from annotation.services.content import video_attach_file
from annotation.services.video_processing import video_processing_run_here


def test_the_model_sees_the_mac2026_frames_the_pipeline_stored(benchmark, video, make_item, generator, tmp_path,
                                                              chat_endpoint, first_option, tasks_in_process):  # fmt: skip
    clip = render_micro_action_clip(tmp_path / "clip_001.mp4", action="B1", seconds=2.4, fps=25, width=160, height=120)
    video_attach_file(video=video, source=clip.path, actor=generator)
    video_processing_run_here(video_id=video.pk)
    video = Video.objects.get(pk=video.pk)
    assert video.status == "ready" and video.frames_manifest
    make_item("FMAR_0001", task="FMAR")

    with chat_endpoint(first_option) as server, tasks_in_process():
        run = run_prepare(benchmark=benchmark, predictor="openai-compatible", name="vlm",
                          settings={"base_url": server.base_url, "model": "vlm", "sampling": "mac2026"})  # fmt: skip
    images = server.requests[0]["json"]["messages"][1]["content"][:-1]
    expected = mac2026_indices(25, clip.frame_count)
    assert len(images) == len(expected) == 8 and expected == video.model_view_indices["mac2026"]
    first = Image.open(io.BytesIO(base64.b64decode(images[0]["image_url"]["url"].split(",", 1)[1])))
    assert first.format == "JPEG" and first.size == (160, 120)
    prediction = Prediction.objects.get(run=run)
    assert (prediction.parsed_answer, prediction.correct) == ("A", True)
    assert prediction.prompt[1]["content"][0]["image_url"]["url"].startswith("<frame 1 of 8,")
