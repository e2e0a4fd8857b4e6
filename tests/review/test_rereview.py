"""Re-review: a later queue's round over settled items moves their status as the round table says
(``annotation.domain.transitions.ROUND_SETTLES``), and a filtered queue serves only its questions."""

import re

import pytest
from django.urls import reverse

from annotation.errors import InvalidInput
from annotation.models import AuditEvent, Caption, QAItem
from annotation.services.audited_writes import Actor
from annotation.services.content import caption_edit, item_edit, review_status_set
from review.models import QueueSlot, User
from review.selectors import adjudication_items
from review.services.blind_answers import blind_answer_record, blind_questions_left
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import caption_review_record, review_record

FIX = {"question": "Does the head dip?", "answer": "Yes"}


@pytest.fixture
def people(make_user):
    return [make_user(User.Role.ANNOTATOR, f"person-{n}") for n in range(5)]


@pytest.fixture
def queue_over(benchmark, admin_user, people):
    """``queue_over(name, statuses=..., overlap=...)``: a blind verification queue for ``people``."""

    def make(name: str, *, overlap: int = 1, stage: str = "verification", **filters):
        return queue_create(
            benchmark=benchmark,
            name=name,
            created_by=admin_user,
            stage=stage,
            filters=filters,
            overlap=overlap,
            annotators=people,
        )

    return make


def review_clip(queue, user, decisions: dict[str, str]):
    """``user`` claims the next clip of ``queue``, answers what the queue asks blind with the keys, then decides
    (``{qid or "caption": decision}``; a fix uses ``FIX``). Returns the slot."""
    slot = claim_next(queue=queue, user=user)
    for item in queue.questions_served(slot.video_id).order_by("qid"):
        if item.answer_format != "open" and queue.blind:
            blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=user, answer=item.answer)
    for name, decision in sorted(decisions.items(), key=lambda pair: pair[0] != "caption"):
        reason = "wrong_fine_label" if name == "caption" else "wrong_key"  # a caption has its own reasons
        extra = {"reject_reasons": [reason]} if decision == "reject" else {}
        if decision == "fix":
            extra["fix"] = FIX if name != "caption" else {"description": "The person nods, twice."}
        if name == "caption":
            caption = Caption.objects.get(video_id=slot.video_id)
            caption_review_record(
                slot=slot, caption=caption, user=user, decision=decision, seen_version=caption.version, **extra
            )
        else:
            item = QAItem.objects.get(qid=name)
            review_record(slot=slot, item=item, user=user, decision=decision, seen_version=item.version, **extra)
    return QueueSlot.objects.get(pk=slot.pk)


def status(qid: str) -> str:
    return QAItem.objects.get(qid=qid).review_status


def moves(qid: str) -> list[tuple[str, str]]:
    item = QAItem.objects.get(qid=qid)
    events = AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk, event_type="status_changed")
    return [(e.before["review_status"], e.after["review_status"]) for e in events.order_by("id")]


@pytest.fixture
def settled(make_item, queue_over, people):
    """``settled(decision)``: SAD_0001 settled by a first pass of one review (accept -> accepted, reject ->
    rejected)."""

    def settle(decision: str) -> QAItem:
        make_item("SAD_0001", answer="Yes")
        review_clip(queue_over("first", stage="first_pass"), people[0], {"SAD_0001": decision})
        return QAItem.objects.get(qid="SAD_0001")

    return settle


def test_a_fix_in_a_verification_queue_over_a_rejected_item_accepts_it(settled, queue_over, people):
    """The report of issue 16: the fix was saved and the clip marked done, yet the item stayed rejected."""
    settled("reject")
    slot = review_clip(queue_over("again", statuses=["rejected"]), people[1], {"SAD_0001": "fix"})
    item = QAItem.objects.get(qid="SAD_0001")
    assert slot.completed_by == people[1]
    assert (item.question, item.review_status) == ("Does the head dip?", "accepted")
    assert moves("SAD_0001") == [("imported", "rejected"), ("rejected", "accepted")]


# Each move of the rule, with one review per clip (overlap 1) ...


@pytest.mark.parametrize(
    ("first", "again", "expected"),
    [
        ("accept", "accept", "accepted"),  # confirmed: no move
        ("accept", "fix", "accepted"),  # the fix is applied; still accepted
        ("accept", "reject", "needs_adjudication"),  # rounds disagree
        ("reject", "fix", "accepted"),  # the content changed since the rejection
        ("reject", "accept", "needs_adjudication"),  # the same content judged both ways
        ("reject", "reject", "rejected"),  # confirmed: no move
    ],
)
def test_one_verifier_over_a_settled_item(settled, queue_over, people, first, again, expected):
    before = settled(first).review_status
    review_clip(queue_over("again", statuses=[before]), people[1], {"SAD_0001": again})
    assert status("SAD_0001") == expected
    assert moves("SAD_0001") == [("imported", before)] + ([(before, expected)] if expected != before else [])


def test_an_item_edited_since_its_rejection_is_accepted_by_a_plain_accept(settled, queue_over, people, admin_user):
    item = settled("reject")
    item_edit(item_id=item.pk, actor=Actor.person(admin_user), expected_version=item.version, changes=FIX)
    review_clip(queue_over("again", statuses=["rejected"]), people[1], {"SAD_0001": "accept"})
    assert status("SAD_0001") == "accepted"


# ... and with two (overlap 2): the round settles when both copies are in, from those two reviews alone.


@pytest.mark.parametrize(
    ("first", "again", "expected"),
    [
        ("accept", ("accept", "accept"), "accepted"),
        ("accept", ("accept", "reject"), "needs_adjudication"),
        ("accept", ("reject", "reject"), "needs_adjudication"),
        ("reject", ("fix", "accept"), "accepted"),
        ("reject", ("accept", "accept"), "needs_adjudication"),
        ("reject", ("fix", "reject"), "needs_adjudication"),
        ("reject", ("reject", "reject"), "rejected"),
    ],
)
def test_two_verifiers_over_a_settled_item(settled, queue_over, people, first, again, expected):
    before = settled(first).review_status
    queue = queue_over("again", statuses=[before], overlap=2)
    review_clip(queue, people[1], {"SAD_0001": again[0]})
    assert status("SAD_0001") == before  # half a round moves nothing; the earlier round is not its other half
    review_clip(queue, people[2], {"SAD_0001": again[1]})
    assert status("SAD_0001") == expected
    assert len(moves("SAD_0001")) == 1 + (expected != before)


def test_a_blind_answer_that_differs_from_the_key_sends_an_accepted_item_to_adjudication(settled, queue_over, people):
    settled("accept")
    queue = queue_over("again", statuses=["accepted"])
    slot = claim_next(queue=queue, user=people[1])
    item = QAItem.objects.get(qid="SAD_0001")
    blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=people[1], answer="No")
    review_record(slot=slot, item=item, user=people[1], decision="accept", seen_version=item.version)
    assert status("SAD_0001") == "needs_adjudication"


def test_a_round_over_an_item_awaiting_adjudication_adds_evidence_and_settles_nothing(
    benchmark, make_item, queue_over, people
):
    make_item("SAD_0001", answer="Yes")
    review_clip(queue_over("first", stage="first_pass", overlap=2), people[0], {"SAD_0001": "accept"})
    review_clip(QueueSlot.objects.get(copy=2).queue, people[1], {"SAD_0001": "reject"})
    assert status("SAD_0001") == "needs_adjudication"
    one = queue_over("third look", statuses=["needs_adjudication"])
    review_clip(one, people[2], {"SAD_0001": "accept"})
    two = queue_over("fourth and fifth", statuses=["needs_adjudication"], overlap=2)
    for person in people[3:]:  # a person gets a clip once per stage
        review_clip(two, person, {"SAD_0001": "reject"})
    assert status("SAD_0001") == "needs_adjudication"
    assert moves("SAD_0001") == [("imported", "in_review"), ("in_review", "needs_adjudication")]
    [waiting] = adjudication_items(benchmark=benchmark)
    assert len(waiting.all_reviews) == 5  # every round's counted reviews reach the adjudicator


@pytest.fixture
def excluded_clip(make_item, admin_user):
    """A clip with SAD_0001 excluded and FMAR_0001 imported."""
    sad = make_item("SAD_0001", answer="Yes")
    make_item("FMAR_0001", task="FMAR", answer="A")
    review_status_set(model=QAItem, pk=sad.pk, status="excluded", actor=Actor.person(admin_user), expected_version=1)
    return sad


def test_an_exclusion_stands_in_a_queue_that_does_not_name_excluded_items(excluded_clip, queue_over, people):
    queue = queue_over("whole clips", stage="first_pass")
    slot = claim_next(queue=queue, user=people[0])
    assert blind_questions_left(slot=slot, user=people[0]) == 1  # FMAR only
    with pytest.raises(InvalidInput, match="takes no blind answer here"):
        blind_answer_record(slot_id=slot.pk, item_id=excluded_clip.pk, user=people[0], answer="Yes")
    fmar = QAItem.objects.get(qid="FMAR_0001")
    blind_answer_record(slot_id=slot.pk, item_id=fmar.pk, user=people[0], answer="A")
    with pytest.raises(InvalidInput, match="not 'whole clips'.s work"):
        review_record(slot=slot, item=excluded_clip, user=people[0], decision="accept", seen_version=2)
    review_record(slot=slot, item=fmar, user=people[0], decision="accept", seen_version=1)
    assert QueueSlot.objects.get(pk=slot.pk).completed_by == people[0]
    assert (status("SAD_0001"), status("FMAR_0001")) == ("excluded", "accepted")


@pytest.mark.parametrize(
    ("overlap", "decisions", "expected"),
    [(1, ("accept",), "accepted"), (2, ("reject", "reject"), "rejected"), (2, ("fix", "reject"), "needs_adjudication")],
)
def test_a_queue_over_excluded_items_decides_them_like_a_first_round(
    excluded_clip, queue_over, people, overlap, decisions, expected
):
    queue = queue_over("excluded again", statuses=["excluded"], overlap=overlap)
    for person, decision in zip(people, decisions, strict=False):
        review_clip(queue, person, {"SAD_0001": decision})
    assert status("SAD_0001") == expected
    assert moves("SAD_0001") == [("imported", "excluded"), ("excluded", expected)]


def test_a_clip_outside_the_overlap_sample_settles_from_its_one_review(benchmark, make_item, admin_user, people):
    make_item("SAD_0001", answer="Yes")
    queue = queue_create(
        benchmark=benchmark,
        name="sampled",
        created_by=admin_user,
        overlap=2,
        overlap_sample_percent=0,
        annotators=people,
    )
    assert queue.slots.count() == 1  # left out of the sample: one look
    review_clip(queue, people[0], {"SAD_0001": "accept"})
    assert status("SAD_0001") == "accepted"


# A filtered queue serves only its questions


@pytest.fixture
def mixed_clip(make_item, make_caption, queue_over, people):
    """A clip whose first pass rejected SAD_0001 and accepted FMAR_0001 and the caption."""
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("FMAR_0001", task="FMAR", answer="A")
    first = queue_over("first", stage="first_pass")
    review_clip(first, people[0], {"SAD_0001": "reject", "FMAR_0001": "accept", "caption": "accept"})
    return QAItem.objects.get(qid="SAD_0001"), QAItem.objects.get(qid="FMAR_0001")


def test_a_filtered_queue_asks_and_requires_only_its_questions(mixed_clip, queue_over, people):
    sad, fmar = mixed_clip
    queue = queue_over("rejected again", statuses=["rejected"])
    assert queue.scoped and list(queue.scope.values_list("item__qid", flat=True)) == ["SAD_0001"]
    slot = claim_next(queue=queue, user=people[1])
    assert blind_questions_left(slot=slot, user=people[1]) == 1  # SAD only; FMAR is not this queue's question
    with pytest.raises(InvalidInput, match="takes no blind answer here"):
        blind_answer_record(slot_id=slot.pk, item_id=fmar.pk, user=people[1], answer="A")
    blind_answer_record(slot_id=slot.pk, item_id=sad.pk, user=people[1], answer="Yes")
    assert blind_questions_left(slot=slot, user=people[1]) == 0
    with pytest.raises(InvalidInput, match="this question is not 'rejected again'.s work"):
        review_record(slot=slot, item=fmar, user=people[1], decision="accept", seen_version=fmar.version)
    caption = Caption.objects.get()
    with pytest.raises(InvalidInput, match="this caption is not 'rejected again'.s work"):
        caption_review_record(slot=slot, caption=caption, user=people[1], decision="accept", seen_version=2)
    review_record(slot=slot, item=sad, user=people[1], decision="fix", seen_version=sad.version, fix=FIX)
    assert QueueSlot.objects.get(pk=slot.pk).completed_by == people[1]  # its one question decided: done
    assert (status("SAD_0001"), status("FMAR_0001"), Caption.objects.get().review_status) == (
        "accepted",
        "accepted",
        "accepted",
    )


def test_a_scoped_queue_keeps_its_questions_while_their_status_moves(make_item, admin_user, queue_over, people):
    make_item("SAD_0001", answer="Yes")
    fmar = make_item("FMAR_0001", task="FMAR", answer="A")
    review_status_set(model=QAItem, pk=fmar.pk, status="accepted", actor=Actor.person(admin_user), expected_version=1)
    queue = queue_over("new ones", stage="first_pass", statuses=["imported"], overlap=2)
    review_clip(queue, people[0], {"SAD_0001": "accept"})
    assert status("SAD_0001") == "in_review"  # no longer imported, still the queue's question
    slot = review_clip(queue, people[1], {"SAD_0001": "accept"})
    assert slot.completed_by == people[1] and status("SAD_0001") == "accepted"
    assert status("FMAR_0001") == "accepted" and not fmar.reviews.exists()


def test_a_queue_by_task_serves_that_task_and_one_over_clips_serves_all_of_them(mixed_clip, queue_over):
    by_task = queue_over("FMAR only", tasks=["FMAR"])
    whole = queue_over("whole clip", clips=["clip_001"])
    assert by_task.scoped and list(by_task.questions_served(mixed_clip[0].video_id)) == [mixed_clip[1]]
    assert not whole.scoped and set(whole.questions_served(mixed_clip[0].video_id)) == set(mixed_clip)


CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def test_the_page_shows_nothing_of_other_questions_before_the_blind_answers_and_them_read_only_after(
    client, mixed_clip, queue_over, people, reviewer
):
    sad, fmar = mixed_clip
    queue = queue_over("rejected again", statuses=["rejected"])
    client.force_login(people[1])
    client.post(reverse("queue-start", args=[queue.pk]))
    slot = QueueSlot.objects.get(queue=queue, claimed_by=people[1])

    def sent() -> list[bytes]:
        page = client.get(reverse("review-slot", args=[slot.pk]))
        card = client.get(reverse("review-card", args=[slot.pk, fmar.pk]), headers={"HX-Request": "true"})
        answer = client.post(reverse("review-answer", args=[slot.pk, fmar.pk]), {"answer": "B"})
        return [CSRF.sub(rb"\1-", response.content) for response in (page, card, answer)]

    before = sent()
    page = before[0].decode()
    assert "SAD_0001" in page and "FMAR_0001" not in page and "fine-grained" not in page
    actor = Actor.person(reviewer)
    item_edit(item_id=fmar.pk, actor=actor, expected_version=fmar.version, changes={"answer": "D"})
    caption = Caption.objects.get()
    caption_edit(
        caption_id=caption.pk, actor=actor, expected_version=caption.version, changes={"description": "Waves."}
    )
    assert sent() == before  # not a byte of the other question or the caption depends on their content

    client.post(reverse("review-answer", args=[slot.pk, sad.pk]), {"answer": "Yes"})
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "Other questions of this clip" in page and "FMAR_0001" in page and "Key: <b>D</b>" in page
    assert "Not asked in this queue (accepted): shown for context." in page
    assert reverse("review-decide", args=[slot.pk, fmar.pk]) not in page
    assert reverse("review-decide", args=[slot.pk, sad.pk]) in page
    assert "Waves." in page and 'class="caption-form"' not in page  # the caption, read-only
    assert "1 question still to decide" in page and "and the caption" not in page


# Audit: every move is one status_changed event, inside the decision that completes the round


def test_each_status_move_is_one_event_of_the_decision_that_completes_the_round(
    settled, queue_over, people, events_during
):
    settled("reject")
    queue = queue_over("again", statuses=["rejected"])
    with events_during() as events:
        review_clip(queue, people[1], {"SAD_0001": "fix"})
    shapes = [(e.event_type, e.target_kind) for e in events]
    assert shapes == [
        ("claimed", "queueslot"),
        ("blind_answered", "qaitem"),
        ("edited", "qaitem"),
        ("status_changed", "qaitem"),
        ("reviewed", "qaitem"),
    ]
    moved = events[3]
    assert (moved.actor_user, moved.before, moved.after) == (
        people[1],
        {"review_status": "rejected"},
        {"review_status": "accepted"},
    )
    assert moved.reason == "1 review in again" and events[4].after["completes_clip"] is True


def test_a_round_that_confirms_writes_no_status_event(settled, queue_over, people, events_during):
    settled("accept")
    queue = queue_over("again", statuses=["accepted"])
    with events_during() as events:
        review_clip(queue, people[1], {"SAD_0001": "accept"})
    assert [e.event_type for e in events] == ["claimed", "blind_answered", "reviewed"]


def test_a_caption_re_reviewed_follows_the_same_rule(make_item, make_caption, queue_over, people):
    make_caption()
    make_item("SAD_0001", answer="Yes")
    review_clip(queue_over("first", stage="first_pass"), people[0], {"SAD_0001": "accept", "caption": "accept"})
    review_clip(queue_over("again", clips=["clip_001"]), people[1], {"SAD_0001": "accept", "caption": "reject"})
    assert (status("SAD_0001"), Caption.objects.get().review_status) == ("accepted", "needs_adjudication")
