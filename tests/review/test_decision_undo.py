"""Undo (u, or a decided card's Undo): the person's decision on the clip they hold is taken back through the
audited path, to decide it again; refused once the clip is complete or the claim is gone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotation.models import AuditEvent, QAItem, Video
from annotation.services.release_snapshots import content_provenance
from review.models import QueueSlot, Review
from review.services.claims import LeaseExpired
from review.services.decision_undo import decision_undo
from review.services.queues import queue_create
from review.services.reviews import review_record


@pytest.fixture
def queue(benchmark, make_item, admin_user, annotator):
    make_item("SAD_0001", answer="Yes")
    make_item("FMAR_0001", task="FMAR", answer="C")
    return queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])


@pytest.fixture
def revealed(client, queue, annotator):
    """The annotator holds the clip and has answered both questions from the video."""
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    slot = QueueSlot.objects.get(queue=queue)
    for qid, answer in (("SAD_0001", "Yes"), ("FMAR_0001", "C")):
        item = QAItem.objects.get(qid=qid)
        client.post(reverse("review-answer", args=[slot.pk, item.pk]), {"answer": answer}, headers={"HX-Request": "1"})
    return client, slot


def decide(client, slot, qid, data):
    item = QAItem.objects.get(qid=qid)
    url = reverse("review-decide", args=[slot.pk, item.pk])
    return client.post(url, {"version": item.version, **data}, headers={"HX-Request": "1"})


def undo(client, slot, target=""):
    return client.post(reverse("review-undo", args=[slot.pk]), {"target": target}, headers={"HX-Request": "1"})


def events(kind, pk, *types):
    return list(
        AuditEvent.objects.filter(target_kind=kind, target_id=pk, event_type__in=types)
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def test_undo_takes_back_the_last_decision_keeps_both_in_the_trail_and_the_card_is_decided_anew(revealed, annotator):
    client, slot = revealed
    sad = QAItem.objects.get(qid="SAD_0001")
    assert decide(client, slot, "SAD_0001", {"decision": "accept"}).status_code == 200

    response = undo(client, slot)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("review-slot", args=[slot.pk]) + f"?focus=item-{sad.pk}"
    assert not Review.objects.filter(item=sad).exists()
    reviewed, undone = (
        AuditEvent.objects.filter(target_kind="qaitem", target_id=sad.pk)
        .filter(event_type__in=["reviewed", "review_undone"])
        .order_by("id")
    )
    assert (reviewed.event_type, undone.event_type) == ("reviewed", "review_undone")
    assert undone.actor_user == annotator
    assert undone.before["review_event"] == reviewed.pk and undone.before["decision"] == "accept"
    assert undone.after == {"decision": None, "slot": slot.pk, "stage": "first_pass"}

    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "Undone: your accept of SAD_0001" in page
    assert page.count('class="decide"') == 2  # both cards ask for a decision again

    assert decide(client, slot, "SAD_0001", {"decision": "reject", "reject_reasons": ["ambiguous"]}).status_code == 200
    assert decide(client, slot, "FMAR_0001", {"decision": "accept"}).status_code == 200  # completes the clip
    # the undone accept counts nowhere: the item settles from the one review that stands
    assert [r.decision for r in Review.objects.filter(item=sad)] == ["reject"]
    assert QAItem.objects.get(pk=sad.pk).review_status == "rejected"
    assert events("qaitem", sad.pk, "reviewed", "review_undone") == ["reviewed", "review_undone", "reviewed"]


def test_an_undo_button_takes_back_that_cards_decision_not_the_last_one(revealed):
    client, slot = revealed
    sad = QAItem.objects.get(qid="SAD_0001")
    decide(client, slot, "SAD_0001", {"decision": "accept"})
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert f'name="target" value="item:{sad.pk}"' in page  # the decided card's Undo
    assert undo(client, slot, f"item:{sad.pk}").status_code == 200
    assert not Review.objects.exists()
    assert undo(client, slot, "nothing:1").status_code == 400


def test_undoing_a_fix_puts_the_fields_back_through_an_audited_edit(revealed):
    client, slot = revealed
    sad = QAItem.objects.get(qid="SAD_0001")
    fixed = {"decision": "fix", "confirm": "1", "question": "Does the head move up?", "answer": "Yes"}
    assert decide(client, slot, "SAD_0001", fixed).status_code == 200
    assert QAItem.objects.get(pk=sad.pk).question == "Does the head move up?"
    assert undo(client, slot).status_code == 200
    assert QAItem.objects.get(pk=sad.pk).question == sad.question
    edits = AuditEvent.objects.filter(target_kind="qaitem", target_id=sad.pk, event_type="edited").order_by("id")
    assert [(e.after, e.reason) for e in edits][1] == ({"question": sad.question}, "undo of the reviewer's fix")
    assert events("qaitem", sad.pk, "edited", "reviewed", "review_undone") == [
        "edited",
        "reviewed",
        "edited",
        "review_undone",
    ]


def refusals(slot_id):
    return AuditEvent.objects.filter(event_type="refused", target_kind="queueslot", target_id=slot_id)


def test_undo_with_nothing_to_undo_is_refused_and_recorded(revealed, annotator):
    client, slot = revealed
    response = undo(client, slot)
    assert response.status_code == 409 and "nothing to undo" in response.content.decode()
    refusal = refusals(slot.pk).get()
    assert refusal.actor_user == annotator and refusal.after == {"action": "undo decision", "target": "last"}
    # without htmx the refusal is a page of its own, still a 409
    plain = client.post(reverse("review-undo", args=[slot.pk]))
    assert plain.status_code == 409 and "Back to the clip" in plain.content.decode()


def test_undo_is_refused_once_the_clip_is_complete(revealed):
    client, slot = revealed
    decide(client, slot, "SAD_0001", {"decision": "accept"})
    decide(client, slot, "FMAR_0001", {"decision": "accept"})
    assert QueueSlot.objects.get(pk=slot.pk).completed_at is not None
    response = undo(client, slot)
    assert response.status_code == 409 and "complete" in response.content.decode()
    assert Review.objects.count() == 2
    assert refusals(slot.pk).count() == 1
    assert not AuditEvent.objects.filter(event_type="review_undone").exists()


def test_undo_is_refused_once_the_lease_ran_out(revealed, annotator):
    client, slot = revealed
    decide(client, slot, "SAD_0001", {"decision": "accept"})
    QueueSlot.objects.filter(pk=slot.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))
    with pytest.raises(LeaseExpired) as refused:
        decision_undo(slot_id=slot.pk, user=annotator)
    assert "lease" in str(refused.value)
    assert Review.objects.count() == 1
    assert refusals(slot.pk).get().after == {"action": "undo decision"}


def test_an_undone_evidence_span_is_left_out_of_the_release_provenance(revealed, annotator):
    _, slot = revealed
    Video.objects.filter(pk=slot.video_id).update(frame_count=60, frames_manifest={"frames": 60})
    sad = QAItem.objects.get(qid="SAD_0001")
    decision = {"slot": slot, "item": sad, "user": annotator, "seen_version": sad.version}
    review_record(**decision, decision="accept", evidence_start_frame=3, evidence_end_frame=9)
    decision_undo(slot_id=slot.pk, user=annotator)
    review_record(**decision, decision="accept", evidence_start_frame=10, evidence_end_frame=20)
    last = AuditEvent.objects.order_by("-id").values_list("pk", flat=True).first()
    spans = content_provenance("qaitem", [sad.pk], last)[sad.pk]["evidence_spans"]
    assert [(s["start_frame"], s["end_frame"]) for s in spans] == [(10, 20)]
