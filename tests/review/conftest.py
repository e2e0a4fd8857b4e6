import pytest
from django.urls import reverse
from django.utils import timezone

from annotation.models import QAItem
from annotation.services.content import video_register
from review.models import QueueSlot, Review
from review.services.queues import queue_create


@pytest.fixture
def claimed_clip(client, processed_clip, make_caption, make_item, benchmark, admin_user, annotator):
    """An annotator's client holding the claim on a processed clip with a caption and two questions."""
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("MADU_0001", task="MADU", answer="The head moves down then up.", question="Describe the head movement.")
    queue = queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    return client, QueueSlot.objects.get(queue=queue, claimed_by=annotator)


def _answer_blind(client, slot) -> None:
    for item in QAItem.objects.filter(video_id=slot.video_id).order_by("qid"):
        if item.answer_format != "open":
            client.post(reverse("review-answer", args=[slot.pk, item.pk]), {"answer": "A" if item.options else "Yes"})


@pytest.fixture
def answer_blind():
    """``answer_blind(client, slot)``: answer every closed question of the clip from the video ("Yes" / "A")."""
    return _answer_blind


@pytest.fixture
def answered_clip(claimed_clip):
    """``claimed_clip`` after the annotator's blind answers: keys, references and the caption are shown."""
    client, slot = claimed_clip
    _answer_blind(client, slot)
    return client, slot


@pytest.fixture
def make_clip(benchmark, make_item, generator):
    """``make_clip(name, {qid: (task, key)})``: a clip with those questions."""

    def make(name: str, questions: dict[str, tuple[str, str]]):
        video = video_register(benchmark=benchmark, clip_name=name, actor=generator)
        items = [
            make_item(qid, task=task, video=video, answer=key, question=f"{qid}: does it move?")
            for qid, (task, key) in questions.items()
        ]
        return video, items

    return make


@pytest.fixture
def add_review(db):
    """``add_review(queue=, item=, user=, answer=, decision=, seconds=)``: a finished review in the next copy's
    slot of the item's clip, as the review page leaves it (the slot completed by that person)."""

    def add(
        *,
        queue,
        item,
        user,
        answer: str = "",
        decision: str = "accept",
        seconds: int | None = None,
        reasons: list[str] | None = None,
        note: str = "",
    ) -> Review:
        slot = QueueSlot.objects.filter(queue=queue, video_id=item.video_id, completed_by=user).first()
        if slot is None:
            slot = (
                QueueSlot.objects.filter(queue=queue, video_id=item.video_id, completed_at__isnull=True)
                .order_by("copy")
                .first()
            )
            QueueSlot.objects.filter(pk=slot.pk).update(completed_by=user, completed_at=timezone.now())
        return Review.objects.create(
            slot=slot,
            item=item,
            item_version=item.version,
            reviewer=user,
            stage=queue.stage,
            blind_answer=answer,
            decision=decision,
            seconds_spent=seconds,
            reject_reasons=reasons or [],
            reason=note,
        )

    return add
