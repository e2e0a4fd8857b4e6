"""Skip (s): the holder hands the clip back with a reason, in the trail; it goes behind the queue's other
clips and the next clip is claimed at once."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from annotation.models import AuditEvent
from review.models import QueueSlot, Review
from review.services.queues import queue_create


def test_a_skip_hands_the_clip_back_with_its_reason_and_claims_the_next_one(
    client, benchmark, make_clip, admin_user, annotator
):
    make_clip("clip_a", {"SAD_0001": ("SAD", "Yes")})
    make_clip("clip_b", {"SAD_0002": ("SAD", "Yes")})
    queue = queue_create(
        benchmark=benchmark, name="q", created_by=admin_user, annotators=[annotator], order="clip", blind=False
    )
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    first = QueueSlot.objects.get(queue=queue, claimed_by=annotator)

    missing = client.post(reverse("review-skip", args=[first.pk]), {"reason": "  "})
    assert missing.status_code == 400 and "reason" in missing.content.decode()
    assert QueueSlot.objects.get(pk=first.pk).claimed_by == annotator  # nothing happened

    response = client.post(reverse("review-skip", args=[first.pk]), {"reason": "the clip does not play"})
    second = QueueSlot.objects.get(queue=queue, claimed_by=annotator)
    assert second.pk != first.pk and response["Location"] == reverse("review-slot", args=[second.pk])
    skipped = QueueSlot.objects.get(pk=first.pk)
    assert skipped.claimed_by is None and skipped.position > second.position  # behind the others now
    event = AuditEvent.objects.get(event_type="claim_released", target_id=first.pk)
    assert event.actor_user == annotator and event.reason == "skipped: the clip does not play"
    assert event.after["skipped"] is True and not Review.objects.exists()


def test_a_skip_after_the_lease_ran_out_is_refused_and_recorded(client, benchmark, make_clip, admin_user, annotator):
    make_clip("clip_a", {"SAD_0001": ("SAD", "Yes")})
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, annotators=[annotator])
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    slot = QueueSlot.objects.get(queue=queue, claimed_by=annotator)
    QueueSlot.objects.filter(pk=slot.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("review-skip", args=[slot.pk]), {"reason": "blurry"}, headers={"HX-Request": "1"})
    assert response.status_code == 409 and "lease" in response.content.decode()
    assert QueueSlot.objects.get(pk=slot.pk).position == slot.position  # not moved
    assert AuditEvent.objects.filter(event_type="refused", target_id=slot.pk, after__action="skip clip").exists()
    assert not AuditEvent.objects.filter(event_type="claim_released").exists()


def test_a_skip_reason_is_plain_text_of_one_line_as_every_note(client, benchmark, make_clip, admin_user, annotator):
    make_clip("clip_a", {"SAD_0001": ("SAD", "Yes")})
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, annotators=[annotator], blind=False)
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    slot = QueueSlot.objects.get(queue=queue, claimed_by=annotator)
    for reason in ("<img src=x onerror=alert(1)>", "two\nlines", "nul\x00", "x" * 501):
        response = client.post(reverse("review-skip", args=[slot.pk]), {"reason": reason})
        assert response.status_code == 400 and "reason" in response.content.decode(), repr(reason)
    assert QueueSlot.objects.get(pk=slot.pk).claimed_by == annotator  # nothing happened
    assert not AuditEvent.objects.filter(event_type="claim_released").exists()
