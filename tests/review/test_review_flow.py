"""The annotator's path: start from a queue, answer blind, then decide; who may see what."""

import pytest
from django.urls import reverse

from annotation.models import QAItem
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit
from review.models import QueueSlot, Review, User
from review.services.queues import queue_create


@pytest.fixture
def queue(benchmark, make_item, admin_user, annotator):
    make_item("SAD_0001", answer="Yes")
    make_item("FMAR_0001", task="FMAR", answer="C")
    return queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])


@pytest.fixture
def started(client, queue, annotator):
    client.force_login(annotator)
    response = client.post(reverse("queue-start", args=[queue.pk]))
    slot = QueueSlot.objects.get(queue=queue)
    assert response.status_code == 302 and response["Location"] == reverse("review-slot", args=[slot.pk])
    return client, slot


def card(client, slot, item, action, data):
    return client.post(reverse(f"review-{action}", args=[slot.pk, item.pk]), data, headers={"HX-Request": "true"})


def answer_blind(client, slot, answers=(("SAD_0001", "Yes"), ("FMAR_0001", "C"))):
    """Answer the clip's questions from the video: only then are keys shown and decisions taken."""
    for qid, answer in answers:
        card(client, slot, QAItem.objects.get(qid=qid), "answer", {"answer": answer})


def test_the_annotators_home_lists_their_queue_with_a_start_button(client, queue, annotator):
    client.force_login(annotator)
    page = client.get(reverse("home")).content.decode()
    assert "first pass" in page and reverse("queue-start", args=[queue.pk]) in page


def test_blind_mode_keeps_keys_on_the_server_until_the_person_answers(started):
    client, slot = started
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "SAD_0001" in page and "FMAR_0001" in page and "Your answer from the video" in page
    assert "Key:" not in page and "key: " not in page  # no answer key anywhere in the page
    fmar = QAItem.objects.get(qid="FMAR_0001")
    answered = card(client, slot, fmar, "answer", {"answer": "B"})
    assert "Your answer: <b>B</b>" in answered.content.decode() and "key: " not in answered.content.decode()
    assert "HX-Refresh" not in answered  # one question of the clip is still to answer blind
    again = card(client, slot, fmar, "answer", {"answer": "C"})
    assert again.status_code == 409 and "the first answer stands" in again.content.decode()
    last = card(client, slot, QAItem.objects.get(qid="SAD_0001"), "answer", {"answer": "Yes"})
    assert last["HX-Refresh"] == "true"  # the blind phase is over: the page reloads with everything
    revealed = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "Your answer: <b>B</b> · key: <b>C</b>" in revealed and "differs" in revealed


def test_deciding_records_the_review_and_settles_the_item(started, annotator):
    client, slot = started
    sad, fmar = QAItem.objects.get(qid="SAD_0001"), QAItem.objects.get(qid="FMAR_0001")
    assert card(client, slot, sad, "decide", {"decision": "accept", "version": 1}).status_code == 409  # blind first
    answer_blind(client, slot, (("SAD_0001", "Yes"), ("FMAR_0001", "B")))  # B differs from the key C
    response = card(client, slot, sad, "decide", {"decision": "accept", "version": 1, "reason": "clear"})
    assert response.status_code == 200 and "Your decision: <b>Accept</b>" in response.content.decode()
    review = Review.objects.get(item=sad)
    assert (review.reviewer, review.blind_answer, review.decision, review.stage) == (
        annotator,
        "Yes",
        "accept",
        "first_pass",
    )
    assert QAItem.objects.get(pk=sad.pk).review_status == "imported"  # items settle when the clip is done

    card(client, slot, fmar, "decide", {"decision": "accept", "version": 1})
    assert QAItem.objects.get(pk=sad.pk).review_status == "accepted"
    assert QAItem.objects.get(pk=fmar.pk).review_status == "needs_adjudication"
    assert QueueSlot.objects.get(pk=slot.pk).completed_by == annotator  # every question decided: the clip is done


def test_a_fix_shows_its_changes_before_it_is_saved(started):
    client, slot = started
    sad = QAItem.objects.get(qid="SAD_0001")
    answer_blind(client, slot)
    fix = {"decision": "fix", "version": 1, "question": "Does the head & arm (1 < 2) move up?", "answer": "No"}
    preview = card(client, slot, sad, "decide", fix).content.decode()
    assert "<del>down in SAD_0001?</del>" in preview and "<ins>up?</ins>" in preview
    assert "&amp; arm (1 &lt; 2)" in preview  # escaped in the diff too
    assert QAItem.objects.get(pk=sad.pk).version == 1 and not Review.objects.exists()  # nothing saved yet
    saved = card(client, slot, sad, "decide", fix | {"confirm": "1"})
    assert saved.status_code == 200 and saved["X-Mabench-Saved"] == f"item:{slot.pk}:{sad.pk}"
    item = QAItem.objects.get(pk=sad.pk)
    assert (item.question, item.answer) == ("Does the head & arm (1 < 2) move up?", "No")
    review = Review.objects.get(item=sad)
    assert (review.decision, review.item_version) == ("fix", 2)  # the version the fix made


def test_a_fix_that_changes_nothing_is_refused(started):
    client, slot = started
    sad = QAItem.objects.get(qid="SAD_0001")
    answer_blind(client, slot)
    response = card(
        client, slot, sad, "decide", {"decision": "fix", "version": 1, "question": sad.question, "answer": "Yes"}
    )
    assert response.status_code == 400 and "changes nothing" in response.content.decode()


def test_a_fix_on_a_stale_version_is_refused_with_both_versions_and_can_be_reapplied(started, reviewer):
    client, slot = started
    sad = QAItem.objects.get(qid="SAD_0001")
    answer_blind(client, slot)
    item_edit(
        item_id=sad.pk, actor=Actor.person(reviewer), expected_version=1, changes={"question": "Edited meanwhile?"}
    )
    mine = {"decision": "fix", "version": 1, "question": "My fix?", "answer": "Yes", "confirm": "1"}
    response = card(client, slot, sad, "decide", mine)
    page = response.content.decode()
    assert response.status_code == 409 and "Someone else changed this question" in page
    assert "Current (v2)" in page and "Edited meanwhile?" in page and "My fix?" in page and "Apply mine on v2" in page
    assert QAItem.objects.get(pk=sad.pk).question == "Edited meanwhile?" and not Review.objects.exists()
    fixed = card(client, slot, sad, "decide", mine | {"version": 2})  # what "Apply mine on v2" posts
    assert fixed.status_code == 200 and QAItem.objects.get(pk=sad.pk).question == "My fix?"


def test_accepting_an_item_that_changed_since_it_was_shown_is_a_conflict(started, reviewer):
    client, slot = started
    sad = QAItem.objects.get(qid="SAD_0001")
    answer_blind(client, slot)
    item_edit(item_id=sad.pk, actor=Actor.person(reviewer), expected_version=1, changes={"answer": "No"})
    response = card(client, slot, sad, "decide", {"decision": "accept", "version": 1})
    assert response.status_code == 409 and "Apply mine on v2" in response.content.decode()
    assert not Review.objects.exists()


def test_a_reject_needs_reason_codes_and_other_needs_a_note(started):
    client, slot = started
    sad = QAItem.objects.get(qid="SAD_0001")
    answer_blind(client, slot)
    none = card(client, slot, sad, "decide", {"decision": "reject", "version": 1})
    assert none.status_code == 400 and "reject reasons: pick at least one" in none.content.decode()
    other = card(client, slot, sad, "decide", {"decision": "reject", "version": 1, "reject_reasons": ["other"]})
    assert other.status_code == 400 and "needs a note" in other.content.decode()
    bogus = card(client, slot, sad, "decide", {"decision": "reject", "version": 1, "reject_reasons": ["made_up"]})
    assert bogus.status_code == 400 and "made_up" in bogus.content.decode()
    assert not Review.objects.exists()
    done = card(
        client,
        slot,
        sad,
        "decide",
        {
            "decision": "reject",
            "version": 1,
            "reject_note": "camera cut",
            "reject_reasons": ["not_answerable", "other"],
        },
    )
    assert done.status_code == 200
    review = Review.objects.get(item=sad)
    assert (review.reject_reasons, review.reason) == (["not_answerable", "other"], "camera cut")
    card(client, slot, QAItem.objects.get(qid="FMAR_0001"), "decide", {"decision": "accept", "version": 1})
    assert QAItem.objects.get(pk=sad.pk).review_status == "rejected"


def test_time_spent_per_item_is_recorded_from_when_its_key_is_first_shown(started, monkeypatch):
    import review.views.review_page as review_page

    client, slot = started
    sad = QAItem.objects.get(qid="SAD_0001")
    clock = [1_000_000.0]
    monkeypatch.setattr(review_page.time, "time", lambda: clock[0])
    answer_blind(client, slot)
    client.get(reverse("review-slot", args=[slot.pk]))  # keys shown: judging starts
    clock[0] += 42.6
    card(client, slot, sad, "decide", {"decision": "accept", "version": 1})
    assert Review.objects.get(item=sad).seconds_spent == 42


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("other annotator", 403), ("reviewer", 403), ("admin", 200), ("claimer", 200)],
)
def test_only_the_claimer_and_admins_open_a_claimed_clip(client, started, make_user, who, expected):
    claimer_client, slot = started
    if who == "claimer":
        client = claimer_client
    else:
        client.logout()
        if who != "anonymous":
            role = {"other annotator": User.Role.ANNOTATOR, "reviewer": User.Role.REVIEWER, "admin": User.Role.ADMIN}[
                who
            ]
            client.force_login(make_user(role, f"{role}-x"))
    assert client.get(reverse("review-slot", args=[slot.pk])).status_code == expected
    sad = QAItem.objects.get(qid="SAD_0001")
    if expected == 403:
        assert card(client, slot, sad, "answer", {"answer": "Yes"}).status_code == 403
        assert client.get(reverse("review-clip", args=[slot.pk])).status_code == 403


def test_people_not_assigned_to_a_queue_cannot_start_it(client, queue, make_user):
    client.force_login(make_user(User.Role.ANNOTATOR, "outsider"))
    assert client.post(reverse("queue-start", args=[queue.pk])).status_code == 403
    assert not QueueSlot.objects.filter(claimed_by__isnull=False).exists()


def test_another_reviewers_decision_moving_the_status_does_not_make_a_page_stale(
    benchmark, make_item, admin_user, make_user
):
    from review.services.blind_answers import blind_answer_record
    from review.services.claims import claim_next
    from review.services.reviews import review_record

    item = make_item("SAD_0009", answer="Yes")
    first, second = make_user(User.Role.ANNOTATOR, "a1"), make_user(User.Role.ANNOTATOR, "a2")
    queue = queue_create(benchmark=benchmark, name="pair", created_by=admin_user, overlap=2, annotators=[first, second])
    slots = {user: claim_next(queue=queue, user=user) for user in (first, second)}  # both pages show v1
    for user in (first, second):
        blind_answer_record(slot_id=slots[user].pk, item_id=item.pk, user=user, answer="Yes")
    review_record(slot=slots[first], item=item, user=first, decision="accept", seen_version=1)
    assert QAItem.objects.get(pk=item.pk).version == 2  # imported -> in review
    review_record(
        slot=slots[second],
        item=item,
        user=second,
        decision="fix",
        seen_version=1,
        fix={"question": "Does the head dip?", "answer": "Yes"},
    )
    item = QAItem.objects.get(pk=item.pk)
    assert item.question == "Does the head dip?" and item.review_status == "accepted"


def test_a_decided_card_names_reject_reasons_in_words_and_counts_in_the_right_plural(started):
    client, slot = started
    sad, fmar = QAItem.objects.get(qid="SAD_0001"), QAItem.objects.get(qid="FMAR_0001")
    card(client, slot, sad, "answer", {"answer": "Yes"})
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "1 question to answer from the video first" in page and "question(s)" not in page
    card(client, slot, fmar, "answer", {"answer": "C"})
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "2 questions still to decide" in page
    decided = card(
        client, slot, fmar, "decide", {"decision": "reject", "version": 1, "reject_reasons": ["wrong_key", "ambiguous"]}
    ).content.decode()
    assert "(Ambiguous, Wrong key)" in decided and "wrong_key" not in decided.split('class="decision"')[1]
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "1 question still to decide" in page and "(Ambiguous, Wrong key)" in page


def home_row(client, queue) -> str:
    page = client.get(reverse("home")).content.decode()
    return page.split(f'id="queue-{queue.pk}"')[1].split("</tr>")[0]


def test_home_offers_continue_for_the_held_clip_start_only_where_something_is_open_and_else_says_why(
    client, benchmark, make_item, admin_user, annotator, make_user
):
    from django.utils import timezone

    from review.selectors import ALL_DONE, NOTHING_FOR_YOU, PAUSED
    from review.services.claims import NothingToClaim, claim_next
    from review.services.queues import queue_pause_set

    make_item("SAD_0001")
    other = make_user(User.Role.ANNOTATOR, "other")
    queue = queue_create(benchmark=benchmark, name="one clip", created_by=admin_user, annotators=[annotator, other])
    start = reverse("queue-start", args=[queue.pk])
    client.force_login(annotator)
    assert start in home_row(client, queue) and ">Start<" in home_row(client, queue)
    slot = claim_next(queue=queue, user=annotator)
    row = home_row(client, queue)
    assert f'href="{reverse("review-slot", args=[slot.pk])}">Continue</a>' in row and start not in row

    client.force_login(other)  # the only clip is held by someone else: no Start, and the reason
    row = home_row(client, queue)
    assert start not in row and NOTHING_FOR_YOU.capitalize() in row and '<td class="num">1</td>' in row
    with pytest.raises(NothingToClaim):  # the home page and the claim agree
        claim_next(queue=queue, user=other)

    QueueSlot.objects.filter(pk=slot.pk).update(completed_by=annotator, completed_at=timezone.now())
    client.force_login(annotator)
    assert ALL_DONE.capitalize() in home_row(client, queue) and start not in home_row(client, queue)

    queue_pause_set(queue=queue, paused=True, by=admin_user)
    assert PAUSED.capitalize() in home_row(client, queue)


def test_the_home_page_reads_its_queues_in_queries_that_do_not_grow_with_them(
    client, benchmark, make_item, admin_user, annotator
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_item("SAD_0001")
    queue_create(benchmark=benchmark, name="q0", created_by=admin_user, annotators=[annotator])
    client.force_login(annotator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    before = queries()
    for n in range(1, 4):
        queue_create(benchmark=benchmark, name=f"q{n}", created_by=admin_user, annotators=[annotator])
    assert queries() == before
