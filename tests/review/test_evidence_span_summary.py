"""``evidence_span_summary``: per task, the questions with a span and the median span in frames and seconds.
The test recomputes every figure from its own table of spans, with its own median."""

import json

import pytest

from annotation.domain.taxonomy import TASKS
from annotation.models import Video
from review.models import QueueSlot, Review, User
from review.selectors.evidence_spans import TaskSpanSummary, evidence_span_summary
from review.services.queues import queue_create

# (clip, qid, task) and each clip's frame rate (None: never probed)
CLIPS = {"clip_a": 25, "clip_b": 30, "clip_c": None}
QUESTIONS = {
    "a1": ("clip_a", "SAD"),
    "a2": ("clip_a", "FMAR"),
    "b1": ("clip_b", "SAD"),
    "c1": ("clip_c", "SAD"),
}
# (question, person, queue, first frame, last frame), in the order they were decided; None: no span
COUNTED = [
    ("a1", "p1", "first", 0, 9),
    ("a1", "p2", "first", 0, 19),
    ("a1", "p3", "first", 0, 29),
    ("a2", "p1", "first", 5, 5),
    ("b1", "p1", "first", 0, 59),
    ("b1", "p2", "first", 0, 44),
    ("b1", "p3", "first", None, None),
    ("b1", "p1", "verify", 0, 14),  # p1's later span on b1 replaces their first
    ("c1", "p1", "first", 0, 4),
]
UNCOUNTED = ("b1", "p3", "verify", 0, 99)  # an unfinished copy of the clip: not counted


def middle(values):
    values = sorted(values)
    n = len(values)
    return None if n == 0 else values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def expected(qids):
    """The figures from the tables above: each person's last span, per question the median over people,
    per task the median over questions."""
    last = {}
    for qid, person, _, start, end in COUNTED:
        if start is not None:
            last[qid, person] = end - start + 1
    per_question = {}
    for (qid, _), frames in last.items():
        per_question.setdefault(qid, []).append(frames)
    figures = {}
    for task in TASKS:
        rows = [
            (middle(f), CLIPS[QUESTIONS[q][0]])
            for q, f in per_question.items()
            if QUESTIONS[q][1] == task and (qids is None or q in qids)
        ]
        figures[task] = (
            len(rows),
            middle([f for f, _ in rows]),
            middle([f / fps for f, fps in rows if fps]),
        )
    return figures


@pytest.fixture
def spans(benchmark, make_clip, admin_user, make_user):
    videos = {}
    items = {}
    for clip, fps in CLIPS.items():
        questions = {qid: (task, "A" if task == "FMAR" else "Yes") for qid, (c, task) in QUESTIONS.items() if c == clip}
        video, made = make_clip(clip, questions)
        if fps:  # what the probe writes (annotation/frames/probe.py)
            Video.objects.filter(pk=video.pk).update(fps_num=fps, fps_den=1, frame_count=100)
        videos[clip] = video
        items |= {item.qid: item for item in made}
    people = {name: make_user(User.Role.ANNOTATOR, name) for name in ("p1", "p2", "p3")}
    queues = {
        "first": queue_create(benchmark=benchmark, name="first", created_by=admin_user, overlap=3),
        "verify": queue_create(
            benchmark=benchmark, name="verify", created_by=admin_user, overlap=2, stage="verification"
        ),
    }

    def review(qid, person, queue, start, end, *, counted=True):
        item, user = items[qid], people[person]
        slots = QueueSlot.objects.filter(queue=queues[queue], video_id=item.video_id).order_by("copy")
        slot = slots.filter(completed_by=user).first() or slots.filter(completed_at__isnull=True).first()
        if counted:
            QueueSlot.objects.filter(pk=slot.pk).update(completed_by=user, completed_at=slot.queue.created_at)
        Review.objects.create(
            slot=slot,
            item=item,
            item_version=item.version,
            reviewer=user,
            stage=queues[queue].stage,
            decision="accept",
            evidence_start_frame=start,
            evidence_end_frame=end,
        )

    for row in COUNTED:
        review(*row)
    review(*UNCOUNTED, counted=False)
    return items


def test_the_summary_is_each_tasks_median_over_questions_of_the_median_over_people(benchmark, spans):
    summary = evidence_span_summary(benchmark_id=benchmark.pk)
    assert list(summary) == list(TASKS)
    figures = expected(None)
    for task, (count, frames, seconds) in figures.items():
        got = summary[task]
        assert (got.task, got.items_with_span, got.median_frames) == (task, count, frames)
        assert got.median_seconds == pytest.approx(seconds) if seconds is not None else got.median_seconds is None
    # the same figures by hand: SAD a1 20 frames (0.8 s), b1 median(15, 45) = 30 (1.0 s), c1 5 (no frame rate)
    assert summary["SAD"] == TaskSpanSummary("SAD", 3, 20.0, pytest.approx(0.9))
    assert summary["FMAR"].as_dict() == {
        "task": "FMAR",
        "items_with_span": 1,
        "median_frames": 1.0,
        "median_seconds": pytest.approx(0.04),
    }
    assert summary["MAS"] == TaskSpanSummary("MAS", 0, None, None)
    json.dumps({task: s.as_dict() for task, s in summary.items()})  # JSON as it is


def test_item_ids_restrict_the_summary_to_those_questions(benchmark, spans):
    chosen = [spans["a1"].pk, spans["c1"].pk]
    summary = evidence_span_summary(benchmark_id=benchmark.pk, item_ids=chosen)
    count, frames, seconds = expected({"a1", "c1"})["SAD"]
    assert (count, frames, seconds) == (2, 12.5, 0.8)
    assert (summary["SAD"].items_with_span, summary["SAD"].median_frames) == (count, frames)
    assert summary["SAD"].median_seconds == pytest.approx(seconds)
    assert summary["FMAR"].items_with_span == 0
    assert evidence_span_summary(benchmark_id=benchmark.pk, item_ids=[])["SAD"].items_with_span == 0


def test_another_benchmarks_spans_do_not_count(spans, generator):
    from annotation.services.content import benchmark_create

    other = benchmark_create(name="Other bench", actor=generator)
    assert all(s.items_with_span == 0 for s in evidence_span_summary(benchmark_id=other.pk).values())
