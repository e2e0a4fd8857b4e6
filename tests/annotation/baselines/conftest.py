import base64
import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "frames"))

from chat_endpoint import ChatEndpoint, answer_first_option, completion  # noqa: E402
from index_clips import ClipSpec, read_index, write_clip  # noqa: E402


@pytest.fixture
def chat_endpoint():
    """Start a local chat-completions server: ``with chat_endpoint(script) as server: ...``."""
    return ChatEndpoint


@pytest.fixture
def reply_with():
    return completion


@pytest.fixture
def first_option():
    return answer_first_option


@pytest.fixture
def index_clip(video, generator, tmp_path):
    """The ``video`` fixture with a 60-frame clip whose every frame shows its own index, through the frame pipeline."""
    from annotation.models import Video
    from annotation.services.content import video_attach_file
    from annotation.services.video_processing import video_processing_run_here

    video_attach_file(video=video, source=write_clip(tmp_path / "clip_001.mp4", ClipSpec(frames=60)), actor=generator)
    video_processing_run_here(video_id=video.pk)
    return Video.objects.get(pk=video.pk)


def frames_shown(request: dict) -> list[int | None]:
    """The frame indices that a chat request's images show, read from their pixels."""
    images = [part for part in request["messages"][-1]["content"] if part["type"] == "image_url"]
    return [
        read_index(np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")))
        for url in (part["image_url"]["url"] for part in images)
    ]


@pytest.fixture
def shown_frames():
    return frames_shown
