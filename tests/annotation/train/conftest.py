"""A small training corpus and an evaluation benchmark, imported, processed and reviewed for real."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from annotation.models import Benchmark, Caption, QAItem, QualityFlag
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set
from annotation.services.flags import flag_waive
from annotation.services.importing import ImportFile, benchmark_import

PEOPLE = (
    "0b9b6c1e-1f2a-4c3d-9e8f-0123456789ab",
    "5d7e8f90-aaaa-4bbb-8ccc-111122223333",
    "9f8e7d6c-5b4a-4321-8fed-cba987654321",
)
TRAIN_CLIPS = [f"{PEOPLE[0]}_10_40", f"{PEOPLE[0]}_50_80", f"{PEOPLE[1]}_5_30"]
EVAL_CLIP_OF_OTHER = f"{PEOPLE[2]}_1_20"


def caption_row(clip: str, **extra) -> dict:
    return {
        "video_name": clip,
        "coarse_label": "B",
        "fine_label": "B1",
        "dominant_part": "head",
        "other_parts": ["neck"],
        "direction_path": "down then up",
        "phases": {"early": "head dips", "middle": "head rises", "late": "head dips again"},
        "trend": "repetitive",
        "contact": "none",
        "description": "Nods twice.",
        **extra,
    }


def question_rows(clip: str, n: int) -> list[dict]:
    return [
        {
            "video_name": clip,
            "task": "SAD",
            "qid": f"SAD_{n:04d}",
            "question": "Does the head move down?",
            "answer": "Yes",
        },
        {
            "video_name": clip,
            "task": "FMAR",
            "qid": f"FMAR_{n:04d}",
            "answer": "A",
            "question": "Which fine-grained label fits?\nA. Nodding\nB. Shaking head\nC. Waving\nD. Shrugging\nE. Tiptoe",
        },
    ]


def jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def write_clip(path: Path, frames: int = 12) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            image = np.full((48, 64, 3), index * 20 % 255, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def clip_folder(tmp_path):
    def make(clips: list[str]) -> Path:
        folder = tmp_path / "clips"
        folder.mkdir(exist_ok=True)
        for clip in clips:
            write_clip(folder / f"{clip}.mp4")
        return folder

    return make


def _accept(model, obj, user):
    for status in ("in_review", "accepted"):
        obj = review_status_set(
            model=model, pk=obj.pk, status=status, actor=Actor.person(user), expected_version=obj.version
        )
    return obj


@pytest.fixture
def reviewed_corpus(db, clip_folder, tasks_in_process, reviewer):
    """The training corpus 'Train': 3 processed clips of 2 participants, captions and QA items accepted, flags waived."""
    rows = [caption_row(clip) for clip in TRAIN_CLIPS]
    questions = [row for n, clip in enumerate(TRAIN_CLIPS, start=1) for row in question_rows(clip, n)]
    with tasks_in_process():
        benchmark_import(
            benchmark_name="Train",
            source="captioner 2.0",
            kind="train",
            captions=ImportFile("c.jsonl", jsonl(rows)),
            questions=ImportFile("q.jsonl", jsonl(questions)),
            videos_dir=clip_folder(TRAIN_CLIPS),
        )
    corpus = Benchmark.objects.get(name="Train")
    for caption in Caption.objects.filter(video__benchmark=corpus):
        _accept(Caption, caption, reviewer)
    for item in QAItem.objects.filter(benchmark=corpus):
        _accept(QAItem, item, reviewer)
    for flag in QualityFlag.objects.filter(benchmark=corpus, status="open"):
        flag_waive(flag=flag, user=reviewer, reason="test corpus")
    return corpus


@pytest.fixture
def eval_benchmark(db):
    """An evaluation benchmark 'Eval' whose only clip is filmed with a third participant."""
    benchmark_import(
        benchmark_name="Eval",
        source="gen 1",
        questions=ImportFile("e.jsonl", jsonl(question_rows(EVAL_CLIP_OF_OTHER, 90))),
    )
    return Benchmark.objects.get(name="Eval")


@pytest.fixture
def overlapping_eval(db):
    """An evaluation benchmark 'Eval overlap' with a clip of the corpus's first participant."""
    clip = f"{PEOPLE[0]}_100_130"
    benchmark_import(
        benchmark_name="Eval overlap", source="gen 1", questions=ImportFile("o.jsonl", jsonl(question_rows(clip, 91)))
    )
    return Benchmark.objects.get(name="Eval overlap")


@pytest.fixture
def train_rows():
    """Helpers to build import rows: ``train_rows.caption(clip, **extra)``, ``.questions(clip, n)``, ``.jsonl(rows)``."""

    class Rows:
        caption, questions, encode = staticmethod(caption_row), staticmethod(question_rows), staticmethod(jsonl)
        people, clips = PEOPLE, TRAIN_CLIPS

    return Rows
