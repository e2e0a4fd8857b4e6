"""Training corpora are caption-centric: their queues and review pages are about captions only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.models import Caption, QAItem
from annotation.services.audited_writes import create_audited
from annotation.services.content import benchmark_create, video_register
from review.models import QueueSlot
from review.services.queues import queue_create


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


def test_corpus_queues_pick_clips_by_caption_and_refuse_task_filters(corpus, admin_user):
    benchmark, videos = corpus
    with pytest.raises(ValidationError, match="training corpus: its queues review captions"):
        queue_create(benchmark=benchmark, name="by task", created_by=admin_user, filters={"tasks": ["SAD"]})
    Caption.objects.filter(video=videos[2]).update(review_status="accepted")
    queue = queue_create(
        benchmark=benchmark, name="captions", created_by=admin_user, filters={"statuses": ["imported"]}
    )
    assert set(queue.slots.values_list("video_id", flat=True)) == {videos[0].pk, videos[1].pk}


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
