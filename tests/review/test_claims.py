from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from annotation.services.audited_writes import Actor
from annotation.services.content import video_register
from annotation.services.flags import lint_run
from review.models import Queue, QueueSlot, User
from review.services.claims import NothingToClaim, QueuePaused, claim_next, claim_release, expired_leases_sweep
from review.services.queues import queue_create


@pytest.fixture
def clips(benchmark, make_item, generator):
    """Four clips with one SAD question each; take_003 has no key (a lint flag)."""
    videos = [video_register(benchmark=benchmark, clip_name=f"take_{n:03d}", actor=generator) for n in range(4)]
    for n, video in enumerate(videos):
        make_item(f"SAD_{n:04d}", video=video, question=f"Does part {n} move?", answer="" if n == 3 else "Yes")
    lint_run(benchmark=benchmark)
    return videos


def test_a_queue_lays_out_overlap_slots_flagged_clips_first(benchmark, clips, admin_user, annotator):
    queue = queue_create(
        benchmark=benchmark, name="first pass", created_by=admin_user, overlap=2, annotators=[annotator]
    )
    layout = list(queue.slots.values_list("video__clip_name", "copy"))
    assert layout == [
        ("take_003", 1),
        ("take_000", 1),
        ("take_001", 1),
        ("take_002", 1),
        ("take_003", 2),
        ("take_000", 2),
        ("take_001", 2),
        ("take_002", 2),
    ]
    assert list(queue.annotators.all()) == [annotator]


def test_filters_choose_the_clips(benchmark, clips, admin_user):
    queue = queue_create(
        benchmark=benchmark, name="unkeyed", created_by=admin_user, filters={"flags": ["missing_answer_key"]}
    )
    assert list(queue.slots.values_list("video__clip_name", flat=True)) == ["take_003"]
    by_clip = queue_create(
        benchmark=benchmark,
        name="two",
        created_by=admin_user,
        filters={"clips": ["take_001", "take_002"]},
        order=Queue.Order.CLIP,
    )
    assert list(by_clip.slots.values_list("video__clip_name", flat=True)) == ["take_001", "take_002"]


def test_a_claim_is_kept_until_done_and_nobody_reviews_a_clip_twice_in_a_stage(benchmark, clips, admin_user, make_user):
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, overlap=2, order=Queue.Order.CLIP)
    ann, other = make_user(User.Role.ANNOTATOR), make_user(User.Role.ANNOTATOR)
    first = claim_next(queue=queue, user=ann)
    assert claim_next(queue=queue, user=ann) == first  # resuming returns the same lease
    QueueSlot.objects.filter(pk=first.pk).update(completed_by=ann, completed_at=timezone.now())
    seen = {first.video_id}
    for _ in range(3):
        slot = claim_next(queue=queue, user=ann)
        assert slot.video_id not in seen  # never the second copy of a clip this person did
        seen.add(slot.video_id)
        QueueSlot.objects.filter(pk=slot.pk).update(completed_by=ann, completed_at=timezone.now())
    with pytest.raises(NothingToClaim):
        claim_next(queue=queue, user=ann)  # only second copies of their own clips are left
    assert claim_next(queue=queue, user=other).copy == 2


def test_an_expired_lease_returns_the_clip_to_the_queue(benchmark, clips, admin_user, make_user):
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, filters={"clips": ["take_000"]})
    slow, quick = make_user(User.Role.ANNOTATOR), make_user(User.Role.ANNOTATOR)
    slot = claim_next(queue=queue, user=slow)
    with pytest.raises(NothingToClaim):
        claim_next(queue=queue, user=quick)
    QueueSlot.objects.filter(pk=slot.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))
    assert claim_next(queue=queue, user=quick).pk == slot.pk  # claiming ignores expired leases
    assert claim_release(slot=slot, actor=Actor.person(quick))
    QueueSlot.objects.filter(pk=slot.pk).update(claimed_by=slow, lease_expires=timezone.now() - timedelta(seconds=1))
    assert expired_leases_sweep() == 1
    assert QueueSlot.objects.get(pk=slot.pk).claimed_by is None


def test_a_paused_queue_hands_out_nothing(benchmark, clips, admin_user, annotator):
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user)
    Queue.objects.filter(pk=queue.pk).update(paused=True)
    with pytest.raises(QueuePaused):
        claim_next(queue=Queue.objects.get(pk=queue.pk), user=annotator)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_people_claiming_at_once_never_share_a_clip_and_none_is_lost_on_postgresql(
    benchmark, make_user, admin_user, at_once
):
    assert connection.vendor == "postgresql"
    from annotation.models import Video

    Video.objects.bulk_create(Video(benchmark=benchmark, clip_name=f"c{n:03d}") for n in range(60))
    queue = Queue.objects.create(benchmark=benchmark, name="rush", created_by=admin_user)
    QueueSlot.objects.bulk_create(
        QueueSlot(queue=queue, video=v, copy=1, position=n)
        for n, v in enumerate(Video.objects.filter(benchmark=benchmark).order_by("clip_name"))
    )
    people = [make_user(User.Role.ANNOTATOR, f"p{n}") for n in range(50)]
    claimed, failures = at_once(lambda p=p: (p.pk, claim_next(queue=queue, user=p).pk) for p in people)
    assert failures == [] and len(claimed) == 50  # every claim completed
    slots = [slot for _, slot in claimed]
    assert len(set(slots)) == 50  # no slot handed to two people
    held = dict(QueueSlot.objects.filter(claimed_by__isnull=False).values_list("pk", "claimed_by"))
    assert held == {slot: person for person, slot in claimed}  # none lost, each held by its claimer
