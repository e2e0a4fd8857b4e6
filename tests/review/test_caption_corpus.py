"""Training corpora are caption-centric: a queue reviews captions unless it names tasks, tiers or regenerated;
then it is a scoped queue over the corpus's QA rows, reviewed on the page as an evaluation queue's questions."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.errors import InvalidInput
from annotation.models import AuditEvent, Caption, QAItem
from annotation.services.audited_writes import create_audited
from annotation.services.content import benchmark_create, video_register
from annotation.services.exclusions import clip_exclude
from review.models import QueueSlot
from review.services.blind_answers import BlindAnswerMissing, blind_answer_record
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import caption_review_record, review_record


@pytest.fixture
def corpus(generator, make_caption):
    corpus = benchmark_create(name="train-corpus", kind="train", actor=generator)
    videos = [video_register(benchmark=corpus, clip_name=f"t{n}", actor=generator) for n in range(3)]
    for video in videos:
        make_caption(video=video)
    create_audited(
        model=QAItem,
        actor=generator,
        values={
            "benchmark": corpus,
            "video": videos[0],
            "qid": "SAD_0001",
            "task": "SAD",
            "question": "Does it move?",
            "answer": "Yes",
        },
    )
    return corpus, videos


def test_corpus_queues_pick_clips_by_caption_unless_they_name_tasks(corpus, admin_user):
    benchmark, videos = corpus
    Caption.objects.filter(video=videos[2]).update(review_status="accepted")
    queue = queue_create(
        benchmark=benchmark, name="captions", created_by=admin_user, filters={"statuses": ["imported"]}
    )
    assert set(queue.slots.values_list("video_id", flat=True)) == {videos[0].pk, videos[1].pk}
    assert queue.caption_only and not queue.questions_served(videos[0].pk).exists()
    qa = queue_create(benchmark=benchmark, name="by task", created_by=admin_user, filters={"tasks": ["SAD"]})
    assert qa.scoped and not qa.caption_only
    assert list(qa.slots.values_list("video_id", flat=True)) == [videos[0].pk]  # the one clip with a SAD row
    assert list(qa.questions_served(videos[0].pk).values_list("qid", flat=True)) == ["SAD_0001"]
    with pytest.raises(ValidationError, match="no question of the benchmark matches"):
        queue_create(benchmark=benchmark, name="none", created_by=admin_user, filters={"tasks": ["MARE"]})


def test_a_clip_excluded_from_the_corpus_takes_its_qa_rows_out_of_qa_queues(corpus, admin_user):
    benchmark, videos = corpus
    clip_exclude(video_id=videos[0].pk, user=admin_user, reason="participant also in the evaluation set")
    with pytest.raises(ValidationError, match="no question of the benchmark matches"):
        queue_create(benchmark=benchmark, name="qa", created_by=admin_user, filters={"tiers": ["comprehension"]})
    assert QAItem.objects.get(qid="SAD_0001").review_status == "imported"  # left as it was, only not served


def test_qa_rows_of_a_corpus_are_answered_blind_and_settle_through_the_review_services(corpus, admin_user, annotator):
    benchmark, videos = corpus
    queue = queue_create(
        benchmark=benchmark, name="qa", created_by=admin_user, annotators=[annotator], filters={"tasks": ["SAD"]}
    )
    slot = claim_next(queue=queue, user=annotator)
    item, caption = QAItem.objects.get(qid="SAD_0001"), Caption.objects.get(video=videos[0])
    with pytest.raises(BlindAnswerMissing):
        review_record(slot=slot, item=item, user=annotator, decision="accept", seen_version=item.version)
    blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=annotator, answer="Yes")
    with pytest.raises(InvalidInput, match="is not 'qa''s work"):  # the caption is context in a QA queue
        caption_review_record(slot=slot, caption=caption, user=annotator, decision="accept", seen_version=1)
    review_record(slot=slot, item=item, user=annotator, decision="accept", seen_version=item.version)
    assert QueueSlot.objects.get(pk=slot.pk).completed_by == annotator
    assert QAItem.objects.get(pk=item.pk).review_status == "accepted"
    assert Caption.objects.get(pk=caption.pk).review_status == "imported"  # the caption is the caption queues' work
    moved = AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk, event_type="status_changed")
    assert moved.get().reason == "1 review in qa"


def test_the_corpus_qa_page_shows_the_questions_and_the_caption_read_only_after_the_blind_answers(
    client, corpus, admin_user, annotator
):
    benchmark, videos = corpus
    queue = queue_create(
        benchmark=benchmark, name="qa", created_by=admin_user, annotators=[annotator], filters={"tasks": ["SAD"]}
    )
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    slot = QueueSlot.objects.get(queue=queue, claimed_by=annotator)
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "data-caption-only" not in page and 'class="question-card' in page and "Does it move?" in page
    assert "nods twice" not in page and "head dips" not in page  # blind: nothing of the caption before the answer
    item = QAItem.objects.get(qid="SAD_0001")
    client.post(reverse("review-answer", args=[slot.pk, item.pk]), {"answer": "Yes"})
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert 'id="caption-pane"' in page
    response = client.post(reverse("review-decide", args=[slot.pk, item.pk]), {"decision": "accept", "version": 1})
    assert response.status_code == 200
    assert QAItem.objects.get(pk=item.pk).review_status == "accepted"


def test_the_corpus_page_shows_the_caption_alone_and_its_decision_finishes_the_clip(
    client, corpus, admin_user, annotator
):
    benchmark, videos = corpus
    queue = queue_create(
        benchmark=benchmark, name="captions", created_by=admin_user, annotators=[annotator], order="clip"
    )
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    slot = QueueSlot.objects.get(queue=queue, claimed_by=annotator)
    assert slot.video == videos[0]  # the clip that also has a question
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert 'id="caption-pane"' in page and "data-caption-only" in page
    assert "SAD_0001" not in page and 'class="question-card' not in page
    caption = Caption.objects.get(video=videos[0])
    response = client.post(
        reverse("review-caption", args=[slot.pk]), {"decision": "accept", "version": caption.version}
    )
    assert response.status_code == 200
    assert QueueSlot.objects.get(pk=slot.pk).completed_by == annotator  # its question is not the corpus queue's work
