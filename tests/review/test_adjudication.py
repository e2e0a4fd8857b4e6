"""Adjudication: disputed items reach reviewers with all their reviews; the decision is audited as "adjudicated"."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotation.errors import InvalidInput
from annotation.models import AuditEvent, QAItem
from annotation.services.audited_writes import Actor, EditConflict
from annotation.services.content import item_edit
from review.models import User
from review.services.adjudication import NotAwaitingAdjudication, item_adjudicate
from review.services.blind_answers import blind_answer_record
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import review_record


@pytest.fixture
def disputed(benchmark, make_clip, admin_user, make_user):
    """FMAR_0001 (key C): two annotators answered B and C blind; it needs adjudication."""
    _, [item] = make_clip("take_000", {"FMAR_0001": ("FMAR", "C")})
    first, second = make_user(User.Role.ANNOTATOR, "ann1"), make_user(User.Role.ANNOTATOR, "ann2")
    queue = queue_create(benchmark=benchmark, name="pass", created_by=admin_user, overlap=2, annotators=[first, second])
    for user, answer, decision, note in ((first, "B", "reject", "<b>key is wrong</b>"), (second, "C", "accept", "")):
        slot = claim_next(queue=queue, user=user)
        blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=user, answer=answer)
        review_record(
            slot=slot,
            item=item,
            user=user,
            decision=decision,
            seen_version=item.version,
            reason=note,
            reject_reasons=["wrong_key"] if decision == "reject" else [],
        )
    item = QAItem.objects.get(pk=item.pk)
    assert item.review_status == "needs_adjudication"
    return item


def last_event(item) -> AuditEvent:
    return AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk).order_by("-id").first()


def test_accepting_as_is_settles_the_item_and_the_trail_says_adjudicated(disputed, reviewer):
    item = item_adjudicate(
        item_id=disputed.pk,
        user=reviewer,
        decision="accept",
        expected_version=disputed.version,
        note="C is right, the first look missed the shrug",
    )
    assert item.review_status == "accepted"
    event = last_event(item)
    assert (event.actor_user, event.event_type, event.after) == (
        reviewer,
        "status_changed",
        {"review_status": "accepted"},
    )
    assert event.reason == "adjudicated: C is right, the first look missed the shrug"


def test_a_fix_edits_then_accepts_both_in_the_trail(disputed, reviewer):
    item = item_adjudicate(
        item_id=disputed.pk, user=reviewer, decision="fix", expected_version=disputed.version, fix={"answer": "B"}
    )
    assert (item.answer, item.review_status) == ("B", "accepted")
    status, edit = AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk).order_by("-id")[:2]
    assert (edit.event_type, edit.after, edit.reason) == ("edited", {"answer": "B"}, "adjudicated")
    assert (status.event_type, status.reason, status.actor_user) == ("status_changed", "adjudicated", reviewer)


def test_reject(disputed, admin_user):
    assert (
        item_adjudicate(
            item_id=disputed.pk, user=admin_user, decision="reject", expected_version=disputed.version
        ).review_status
        == "rejected"
    )


def test_refusals_write_nothing(disputed, reviewer, annotator):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        item_adjudicate(item_id=disputed.pk, user=annotator, decision="accept", expected_version=disputed.version)
    with pytest.raises(ValidationError) as bad_fix:
        item_adjudicate(
            item_id=disputed.pk, user=reviewer, decision="fix", expected_version=disputed.version, fix={"answer": "Z"}
        )
    assert "answer" in bad_fix.value.message_dict
    with pytest.raises(InvalidInput, match="decide one of accept, fix, reject"):
        item_adjudicate(item_id=disputed.pk, user=reviewer, decision="maybe", expected_version=disputed.version)
    assert AuditEvent.objects.count() == events
    item_edit(
        item_id=disputed.pk,
        actor=Actor.person(reviewer),
        expected_version=disputed.version,
        changes={"question": "Edited meanwhile?"},
    )
    with pytest.raises(EditConflict):
        item_adjudicate(item_id=disputed.pk, user=reviewer, decision="accept", expected_version=disputed.version)
    assert QAItem.objects.get(pk=disputed.pk).review_status == "needs_adjudication"
    item_adjudicate(item_id=disputed.pk, user=reviewer, decision="reject", expected_version=disputed.version + 1)
    with pytest.raises(NotAwaitingAdjudication, match="FMAR_0001 is rejected, not awaiting adjudication"):
        item_adjudicate(item_id=disputed.pk, user=reviewer, decision="accept", expected_version=disputed.version + 2)


def test_the_page_lists_every_review_and_the_key(client, disputed, reviewer, benchmark):
    client.force_login(reviewer)
    page = client.get(reverse("adjudication-list"), {"benchmark": benchmark.pk}).content.decode()
    assert "FMAR_0001" in page and "Key: <b>C</b>" in page
    assert "ann1" in page and "ann2" in page and "pass #1" in page and "pass #2" in page
    assert "&lt;b&gt;key is wrong&lt;/b&gt;" in page and "<b>key is wrong</b>" not in page
    assert "≠ key" in page  # ann1's B


def test_deciding_on_the_page_swaps_the_card(client, disputed, reviewer):
    client.force_login(reviewer)
    url = reverse("adjudication-decide", args=[disputed.pk])
    bad = client.post(
        url,
        {"decision": "fix", "version": disputed.version, "answer": "Z", "question": disputed.question},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400 and "answer: &#x27;Z&#x27; is not one of the option letters" in bad.content.decode()
    stale = client.post(url, {"decision": "accept", "version": disputed.version - 1}, headers={"HX-Request": "true"})
    assert stale.status_code == 409 and "changed meanwhile" in stale.content.decode()
    done = client.post(
        url,
        {
            "decision": "fix",
            "version": disputed.version,
            "answer": "B",
            "note": "B it is",
            "question": disputed.question,
            "options": "\n".join(disputed.options),
        },
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and "<html" not in done.content.decode() and "Accepted" in done.content.decode()
    item = QAItem.objects.get(pk=disputed.pk)
    assert (item.answer, item.review_status, last_event(item).reason) == ("B", "accepted", "adjudicated: B it is")


def test_without_htmx_the_decision_redirects_to_the_list(client, disputed, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("adjudication-decide", args=[disputed.pk]), {"decision": "reject", "version": disputed.version}
    )
    assert response.status_code == 302 and response["Location"] == reverse("adjudication-list")
    assert "Nothing to adjudicate." in client.get(reverse("adjudication-list")).content.decode()
