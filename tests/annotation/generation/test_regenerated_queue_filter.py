"""Queues can target items a generator wrote again after their last review."""

import pytest

from annotation.models import Caption
from annotation.services.audited_writes import Actor
from annotation.services.content import caption_edit
from review.services.blind_answers import blind_answer_record
from review.services.claims import claim_next
from review.services.queues import matching_items, queue_create
from review.services.reviews import caption_review_record, review_record


@pytest.fixture
def generated(benchmark, make_captioned_clip, tasks_in_process):
    from annotation.services.generation import generation_prepare

    videos = [make_captioned_clip(f"take_{n:03d}", fine) for n, fine in enumerate(["B1", "C4", "G1"])]
    with tasks_in_process():
        generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    return videos


def review_everything(queue, annotator):
    """Accept everything the queue serves: every question and the caption, or a filtered queue's questions."""
    for _ in range(queue.slots.count()):
        slot = claim_next(queue=queue, user=annotator)
        items = list(queue.questions_served(slot.video_id))
        for item in items:  # the queue is blind: every closed question answered from the video first
            if item.answer_format != "open":
                blind_answer_record(
                    slot_id=slot.pk, item_id=item.pk, user=annotator, answer="A" if item.options else "Yes"
                )
        caption = Caption.objects.get(video_id=slot.video_id)
        if queue.serves_caption(caption):  # a clip is done when its caption is decided too
            caption_review_record(
                slot=slot, caption=caption, user=annotator, decision="accept", seen_version=caption.version
            )
        for item in items:
            review_record(slot=slot, item=item, user=annotator, decision="accept", seen_version=item.version)


@pytest.mark.django_db
def test_the_filter_finds_items_regenerated_after_their_last_review(
    benchmark, generated, admin_user, annotator, tasks_in_process
):
    from annotation.services.generation import generation_prepare

    regenerated = lambda: sorted(matching_items(benchmark, {"regenerated": True}).values_list("qid", flat=True))  # noqa: E731
    assert regenerated() == []  # generated, never reviewed: the status filter finds those
    review_everything(queue_create(benchmark=benchmark, name="first pass", created_by=admin_user), annotator)
    assert regenerated() == []

    caption = Caption.objects.get(video=generated[1])
    caption_edit(
        caption_id=caption.pk,
        actor=Actor.person(admin_user),
        expected_version=caption.version,
        changes={"fine_label": "C10"},
    )
    with tasks_in_process():
        generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    assert regenerated() == ["FMAR_0002"]  # CMAR_0002 came out the same: no new version
    queue = queue_create(
        benchmark=benchmark, name="again", created_by=admin_user, filters={"regenerated": True}, stage="verification"
    )
    assert list(queue.slots.values_list("video__clip_name", flat=True)) == ["take_001"]

    assert queue.scoped and list(queue.scope.values_list("item__qid", flat=True)) == ["FMAR_0002"]
    review_everything(queue, annotator)
    assert regenerated() == []
