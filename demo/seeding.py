"""The demo benchmark: synthetic clips rendered here, machine-style captions and
questions with a few deliberate faults for reviewers to catch."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from annotation.domain.mac_format import clip_name_of, item_fields_from_row
from annotation.models import Benchmark, Caption, QAItem
from annotation.services.audited_writes import Actor, create_audited_many, record_import
from annotation.services.content import benchmark_create, video_attach_file, video_register
from annotation.services.flags import lint_run
from demo.content import demo_caption, demo_clips, demo_questions_for_all
from demo.figure_clips import render_micro_action_clip

DEMO_SOURCE = "mabench-demo-generator 1.0"
DEMO_DESCRIPTION = (
    "Synthetic clips of a stick figure performing MA-52 micro-actions, with machine-written captions and questions."
)


def demo_benchmark_seed(
    *, name: str, clip_count: int = 12, progress: Callable[[str], None] = lambda _: None
) -> Benchmark:
    actor = Actor.machine(DEMO_SOURCE)
    clips = demo_clips(clip_count)
    with tempfile.TemporaryDirectory(prefix="mabench-demo-") as tmp:
        rendered = {}
        for clip in clips:
            rendered[clip.clip_name] = render_micro_action_clip(
                Path(tmp) / f"{clip.clip_name}.mp4", action=clip.action, seed=clip.seed
            ).path
            progress(f"rendered {clip.clip_name}")
        with transaction.atomic():
            benchmark = benchmark_create(name=name, actor=actor, description=DEMO_DESCRIPTION)
            videos = {}
            for clip in clips:
                video = video_register(benchmark=benchmark, clip_name=clip.clip_name, actor=actor)
                videos[clip.clip_name] = video_attach_file(video=video, source=rendered[clip.clip_name], actor=actor)
            captions = create_audited_many(
                model=Caption,
                actor=actor,
                rows=[
                    {"video": videos[clip.clip_name], "generated_by": DEMO_SOURCE, **demo_caption(clip)}
                    for clip in clips
                ],
            )
            rows = demo_questions_for_all(clips)
            items = create_audited_many(
                model=QAItem,
                actor=actor,
                rows=[
                    {
                        "benchmark": benchmark,
                        "video": videos[clip_name_of(row)],
                        "generated_by": DEMO_SOURCE,
                        **item_fields_from_row(row),
                    }
                    for row in rows
                ],
            )
            record_import(
                benchmark=benchmark,
                actor=actor,
                summary={
                    "videos_created": len(videos),
                    "captions_created": len(captions),
                    "items_created": len(items),
                    "deliberate_faults": [f"{row['qid']}: {row['demo_fault']}" for row in rows if "demo_fault" in row],
                },
            )
            lint_run(benchmark=benchmark)
    return benchmark
