import json
import re
import sys
from pathlib import Path

import pytest

from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS
from annotation.domain.transitions import ReviewStatus
from annotation.models import Caption
from annotation.services.audited_writes import create_audited
from annotation.services.content import review_status_set, video_register

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))

from chat_endpoint import ChatEndpoint, completion  # noqa: E402

CAPTION_FIELDS = {
    "dominant_part": "head",
    "other_parts": ["right hand", "torso"],
    "direction_path": "downward, then back up",
    "phase_early": "the head starts to lower",
    "phase_middle": "the head reaches its lowest point",
    "phase_late": "the head rises back to the midline",
    "trend": "repetitive",
    "contact": "",
    "description": "The head moves down and up twice while the right hand rests on the table.",
}


@pytest.fixture
def make_captioned_clip(benchmark, generator):
    """``make_captioned_clip(name, fine="B1", reviewed=True, **caption fields)``: a clip with a caption."""

    def make(clip_name: str, fine: str = "B1", *, reviewed: bool = True, **fields):
        video = video_register(benchmark=benchmark, clip_name=clip_name, actor=generator)
        values = {
            "video": video,
            "coarse_label": FINE_LABELS[fine].coarse,
            "fine_label": fine,
            **CAPTION_FIELDS,
            **fields,
        }
        caption = create_audited(model=Caption, actor=generator, values=values)
        if reviewed:
            for status in (ReviewStatus.IN_REVIEW, ReviewStatus.ACCEPTED):
                review_status_set(model=Caption, pk=caption.pk, status=status, actor=generator, expected_version=None)
        return video

    return make


@pytest.fixture
def chat_endpoint():
    """Start a local chat-completions server: ``with chat_endpoint(script) as server: ...``."""
    return ChatEndpoint


def _line(text: str, name: str) -> str:
    return re.search(rf"^- {re.escape(name)}: (.*)$", text, re.M).group(1)


def faithful_reply(request: dict) -> str:
    """What a model that follows the generator's prompt would answer, from the first request of the conversation."""
    task = re.search(r"Task: (\w+)\.", request["messages"][0]["content"]).group(1)
    text = request["messages"][1]["content"]
    if task in ("MADU", "MARE"):
        middle = re.search(r"^- Middle phase: (.*)$", text, re.M)
        coarse, fine = _line(text, "Coarse-grained category (body part)"), _line(text, "Fine-grained micro-action")
        answer = f"The dominant part moves as the caption says ({middle and middle.group(1)}), rising and falling in a steady rhythm."
        if task == "MARE":
            answer += f" **[Body part (coarse-grained)] {coarse} | [Micro-action (fine-grained)] {fine}**"
        return json.dumps({"answer": answer})
    keys = json.loads(re.search(r"Required answer keys, in order: (\[.*?\])", text).group(1))
    questions = [
        {
            "question": f"In {task.lower()} check {n} of the {['early', 'late'][n % 2]} phase, does "
            f"the {'head' if key == 'Yes' else 'left foot'} move?",
            "answer": key,
        }
        for n, key in enumerate(keys)
    ]
    return json.dumps({"questions": questions})


@pytest.fixture
def faithful_model():
    """A chat-endpoint script answering every generator request well; ``spoil(request, call)`` may return a
    reply text to send instead."""

    def script_with(spoil=lambda request, call: None):
        def script(request, call):
            return 200, completion(spoil(request, call) or faithful_reply(request)), 0.0

        return script

    return script_with


@pytest.fixture
def coarse_names():
    return {c.name for c in COARSE_LABELS.values()}
