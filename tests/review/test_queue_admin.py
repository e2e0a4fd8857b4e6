"""Queue admin: create (with an overlap sample) and bulk-create from filters, reassign, release, pause."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.services.audited_writes import Actor
from annotation.services.content import benchmark_create
from review.models import Queue, QueueSlot, User
from review.services.claims import QueuePaused, claim_next
from review.services.queues import (
    overlap_sample,
    queue_annotators_set,
    queue_create,
    queue_pause_set,
    queue_slot_release,
    queues_bulk_create,
)


@pytest.fixture
def clips(make_clip):
    """Ten clips, each with a SAD (comprehension) and an FMAR (perception) question."""
    return [
        make_clip(f"take_{n:03d}", {f"SAD_{n:04d}": ("SAD", "Yes"), f"FMAR_{n:04d}": ("FMAR", "A")})[0]
        for n in range(10)
    ]


def test_overlap_goes_to_a_seeded_sample_of_clips_the_rest_get_one_review(benchmark, clips, admin_user):
    queue = queue_create(
        benchmark=benchmark, name="sampled", created_by=admin_user, overlap=3, overlap_sample_percent=30
    )
    copies = {}
    for video_id, copy in queue.slots.values_list("video_id", "copy"):
        copies[video_id] = max(copies.get(video_id, 0), copy)
    assert sorted(copies.values()) == [1] * 7 + [3] * 3
    assert {v for v, top in copies.items() if top == 3} == overlap_sample(queue, [v.pk for v in clips])
    positions = list(queue.slots.order_by("position").values_list("copy", flat=True))
    assert positions == [1] * 10 + [2] * 3 + [3] * 3  # every clip once before any second look
    none = queue_create(benchmark=benchmark, name="none", created_by=admin_user, overlap=2, overlap_sample_percent=0)
    assert none.slots.count() == 10


def test_settings_errors_name_their_fields_and_nothing_is_written(benchmark, clips, admin_user):
    queue_create(benchmark=benchmark, name="taken", created_by=admin_user)
    with pytest.raises(ValidationError) as raised:
        queue_create(
            benchmark=benchmark,
            name="taken",
            created_by=admin_user,
            overlap=0,
            overlap_sample_percent=150,
            lease_seconds=5,
            filters={"tasks": ["NOPE"], "clips": ["take_001", "ghost"]},
        )
    errors = raised.value.message_dict
    assert set(errors) == {"name", "overlap", "overlap_sample_percent", "lease_seconds", "tasks", "clips"}
    assert errors["clips"] == ["no clip named ghost in Test bench"]
    assert errors["name"] == ["Test bench has a queue named 'taken' already"]
    assert Queue.objects.count() == 1


def test_filters_that_match_nothing_are_refused(benchmark, clips, admin_user):
    with pytest.raises(ValidationError) as raised:
        queue_create(benchmark=benchmark, name="empty", created_by=admin_user, filters={"statuses": ["accepted"]})
    assert raised.value.message_dict == {"filters": ["no question of the benchmark matches these filters"]}
    assert not Queue.objects.exists()


def test_bulk_create_makes_one_queue_per_tier_with_matches(benchmark, clips, admin_user, annotator):
    queues = queues_bulk_create(
        benchmark=benchmark,
        name_prefix="pass 1",
        split_by="tier",
        created_by=admin_user,
        annotators=[annotator],
        overlap=2,
        overlap_sample_percent=50,
    )
    assert [q.name for q in queues] == ["pass 1 · perception", "pass 1 · comprehension"]  # no reasoning questions
    assert queues[0].filters == {"tiers": ["perception"]}
    assert all(list(q.annotators.all()) == [annotator] and q.slots.count() == 15 for q in queues)
    by_task = queues_bulk_create(
        benchmark=benchmark, name_prefix="t", split_by="task", created_by=admin_user, filters={"tasks": ["SAD"]}
    )
    assert [q.name for q in by_task] == ["t · SAD"]


def test_bulk_create_is_all_or_nothing(benchmark, clips, admin_user):
    queue_create(benchmark=benchmark, name="p · comprehension", created_by=admin_user)
    with pytest.raises(ValidationError) as raised:
        queues_bulk_create(benchmark=benchmark, name_prefix="p", split_by="tier", created_by=admin_user)
    assert "name" in raised.value.message_dict
    assert list(Queue.objects.values_list("name", flat=True)) == ["p · comprehension"]
    with pytest.raises(ValidationError, match="split by one of tier, task"):
        queues_bulk_create(benchmark=benchmark, name_prefix="p", split_by="clip", created_by=admin_user)


def test_reassigning_returns_the_claims_of_people_taken_off(benchmark, clips, admin_user, make_user):
    keep, drop = make_user(User.Role.ANNOTATOR), make_user(User.Role.ANNOTATOR)
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, annotators=[keep, drop])
    kept_slot, dropped_slot = claim_next(queue=queue, user=keep), claim_next(queue=queue, user=drop)
    assert queue_annotators_set(queue=queue, annotators=[keep], by=admin_user) == 1
    assert list(queue.annotators.all()) == [keep]
    assert QueueSlot.objects.get(pk=kept_slot.pk).claimed_by == keep
    assert QueueSlot.objects.get(pk=dropped_slot.pk).claimed_by is None


def test_an_admin_releases_a_claim_and_unclaimed_slots_are_an_error(benchmark, clips, admin_user, annotator):
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, annotators=[annotator])
    slot = claim_next(queue=queue, user=annotator)
    released = queue_slot_release(queue=queue, slot_id=slot.pk, by=admin_user)
    assert (released.claimed_by, released.lease_expires) == (None, None)
    with pytest.raises(ValidationError, match=f"slot #{slot.pk} \\(take_000\\) is not claimed"):
        queue_slot_release(queue=queue, slot_id=slot.pk, by=admin_user)
    assert claim_next(queue=queue, user=annotator).pk == slot.pk  # back in the queue, first in line


def test_a_paused_queue_hands_out_nothing_until_resumed(benchmark, clips, admin_user, annotator):
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, annotators=[annotator])
    queue_pause_set(queue=queue, paused=True, by=admin_user)
    with pytest.raises(QueuePaused):
        claim_next(queue=Queue.objects.get(pk=queue.pk), user=annotator)
    queue_pause_set(queue=queue, paused=False, by=admin_user)
    assert claim_next(queue=Queue.objects.get(pk=queue.pk), user=annotator).copy == 1


# The pages


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_creates_a_queue_from_the_form(admin_client, benchmark, clips, annotator):
    response = admin_client.post(
        reverse("queue-new", args=[benchmark.pk]),
        {
            "name": "FMAR check",
            "stage": "verification",
            "tasks": ["FMAR"],
            "clips": "take_001, take_002\ntake_003",
            "annotators": [annotator.pk],
            "overlap": 2,
            "overlap_sample_percent": 100,
            "blind": "on",
            "lease_seconds": 900,
            "order": "clip",
        },
    )
    queue = Queue.objects.get(name="FMAR check")
    assert response.status_code == 302 and response["Location"] == reverse("queue-manage", args=[queue.pk])
    assert queue.filters == {"tasks": ["FMAR"], "clips": ["take_001", "take_002", "take_003"]}
    assert (queue.stage, queue.overlap, queue.lease_seconds, queue.blind, queue.slots.count()) == (
        "verification",
        2,
        900,
        True,
        6,
    )
    assert list(queue.annotators.all()) == [annotator]
    assert queue.scoped and sorted(queue.scope.values_list("item__qid", flat=True)) == [
        "FMAR_0001",
        "FMAR_0002",
        "FMAR_0003",
    ]  # a task filter: the queue serves those questions of its clips, not their SAD questions
    page = admin_client.get(response["Location"]).content.decode()
    assert "serves only the 3 questions they matched when it was made" in page


def test_form_errors_are_shown_beside_the_fields_they_name(admin_client, benchmark, clips):
    response = admin_client.post(
        reverse("queue-new", args=[benchmark.pk]),
        {
            "name": "x",
            "stage": "first_pass",
            "clips": "ghost",
            "overlap": 1,
            "overlap_sample_percent": 150,
            "lease_seconds": 1800,
            "order": "clip",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Queue.objects.exists()
    assert "Overlap sample (%): the sample must be 0 to 100 %" in page
    assert "Clips: no clip named ghost in Test bench" in page


def test_bulk_create_from_the_form(admin_client, benchmark, clips):
    response = admin_client.post(
        reverse("queue-bulk-new", args=[benchmark.pk]),
        {
            "name_prefix": "tiered",
            "split_by": "tier",
            "stage": "first_pass",
            "overlap": 1,
            "overlap_sample_percent": 100,
            "lease_seconds": 1800,
            "order": "flagged_first",
        },
    )
    assert response.status_code == 302
    assert sorted(Queue.objects.values_list("name", flat=True)) == ["tiered · comprehension", "tiered · perception"]


def test_manage_page_reassigns_releases_and_pauses(admin_client, benchmark, clips, admin_user, make_user):
    first, second = make_user(User.Role.ANNOTATOR, "first"), make_user(User.Role.ANNOTATOR, "second")
    queue = queue_create(benchmark=benchmark, name='Tom & "q"', created_by=admin_user, annotators=[first])
    slot = claim_next(queue=queue, user=first)
    page = admin_client.get(reverse("queue-manage", args=[queue.pk])).content.decode()
    assert "take_000" in page and reverse("queue-release", args=[queue.pk, slot.pk]) in page
    assert 'Tom & "q"' not in page and "Tom &amp; &quot;q&quot;" in page
    overview = admin_client.get(reverse("queue-overview")).content.decode()
    assert "Tom &amp; &quot;q&quot;" in overview and "0 / 10" in overview

    done = admin_client.post(reverse("queue-release", args=[queue.pk, slot.pk]), follow=True).content.decode()
    assert "Clip take_000 went back to the queue." in done
    again = admin_client.post(reverse("queue-release", args=[queue.pk, slot.pk]), follow=True).content.decode()
    assert "is not claimed" in again

    admin_client.post(reverse("queue-annotators", args=[queue.pk]), {"annotators": [second.pk]})
    assert list(queue.annotators.all()) == [second]
    admin_client.post(reverse("queue-pause", args=[queue.pk]), {"paused": "1"})
    assert Queue.objects.get(pk=queue.pk).paused
    admin_client.post(reverse("queue-pause", args=[queue.pk]), {"paused": "0"})
    assert not Queue.objects.get(pk=queue.pk).paused


def test_the_overview_reads_a_fixed_number_of_queries(
    admin_client, benchmark, clips, admin_user, annotator, django_assert_max_num_queries
):
    queue_create(benchmark=benchmark, name="one", created_by=admin_user, annotators=[annotator])
    with django_assert_max_num_queries(10) as first:
        admin_client.get(reverse("queue-overview"))
    other = benchmark_create(name="Second bench", actor=Actor.person(admin_user))
    for n in range(3):
        queues_bulk_create(
            benchmark=benchmark, name_prefix=f"bulk {n}", split_by="task", created_by=admin_user, annotators=[annotator]
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        page = admin_client.get(reverse("queue-overview")).content.decode()
    assert "bulk 2 · SAD" in page and other.name in page
