"""Review integrity: the blind protocol, personal reviews, leases and versions hold in the services,
so every page and endpoint that calls them keeps them; each refusal is one audit event."""

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotation.models import AuditEvent, BaselineRun, Caption, Prediction, QAItem, QualityFlag, Video
from annotation.services.audited_writes import Actor
from annotation.services.content import caption_edit, item_edit
from review.models import BlindAnswer, Queue, QueueSlot, Review, User
from review.services.blind_answers import BlindAnswerMissing, blind_answer_record
from review.services.claims import LeaseExpired, NotYourClaim, claim_next
from review.services.queues import queue_slot_release
from review.services.reviews import review_record

PROJECT_DIR = Path(__file__).resolve().parents[2]
CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
HX = {"HX-Request": "true"}


def _bytes(response) -> bytes:
    """What the server sent, less the CSRF token (masked anew on every render, whatever the content)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = {
        k: v for k, v in response.items() if k in ("HX-Trigger", "HX-Refresh", "X-Mabench-Saved", "Content-Type")
    }
    return f"{response.status_code} {sorted(headers.items())}\n".encode() + CSRF.sub(rb"\1-", body)


@pytest.fixture
def blind_clip(claimed_clip, make_item):
    """The claimed clip (caption, SAD_0001, MADU_0001) plus FMAR_0001, in a blind queue, nothing answered yet."""
    client, slot = claimed_clip
    make_item("FMAR_0001", task="FMAR", answer="A")
    run = BaselineRun.objects.create(
        benchmark=slot.queue.benchmark, name="vlm-0", predictor="external", settings_hash="x"
    )
    madu = QAItem.objects.get(qid="MADU_0001")
    Prediction.objects.create(run=run, item=madu, item_version=madu.version, outcome="parsed", parsed_answer="Nods.")
    return client, slot


def every_fragment(client, slot) -> list[bytes]:
    """Every page, fragment and media response a person can get for the clip before their blind answers."""
    items = list(QAItem.objects.filter(video_id=slot.video_id).order_by("qid"))
    prediction = Prediction.objects.filter(item__video_id=slot.video_id).order_by("pk").first()
    sent = [_bytes(client.get(reverse("review-slot", args=[slot.pk])))]
    sent.append(_bytes(client.get(reverse("review-frame", args=[slot.pk, 5]))))
    for item in items:
        sent.append(_bytes(client.get(reverse("review-card", args=[slot.pk, item.pk]), headers=HX)))
        for decision in (
            {"decision": "accept", "version": 1},
            {"decision": "reject", "version": 1, "reject_reasons": ["ambiguous"]},
        ):
            sent.append(_bytes(client.post(reverse("review-decide", args=[slot.pk, item.pk]), decision, headers=HX)))
    sent.append(
        _bytes(client.post(reverse("review-caption", args=[slot.pk]), {"decision": "accept", "version": 1}, headers=HX))
    )
    sent.append(_bytes(client.post(reverse("review-score", args=[slot.pk, prediction.pk]), {"l1": 3}, headers=HX)))
    with transaction.atomic():  # one blind answer (not the last), then undone so the next rendering starts alike
        fmar = next(item for item in items if item.task == "FMAR")
        sent.append(_bytes(client.post(reverse("review-answer", args=[slot.pk, fmar.pk]), {"answer": "B"}, headers=HX)))
        sent.append(_bytes(client.get(reverse("review-slot", args=[slot.pk]))))
        transaction.set_rollback(True)
    return sent


def change_what_gives_answers_away(slot, reviewer):
    """New keys, a new reference answer, a new caption; and model answers and flags that were not there."""
    actor = Actor.person(reviewer)
    new_values = {"SAD": {"answer": "No"}, "FMAR": {"answer": "D"}, "MADU": {"answer": "The head tilts, then rolls."}}
    for item in QAItem.objects.filter(video_id=slot.video_id):
        item = item_edit(item_id=item.pk, actor=actor, expected_version=item.version, changes=new_values[item.task])
    caption = Caption.objects.get(video_id=slot.video_id)
    caption_edit(
        caption_id=caption.pk,
        actor=actor,
        expected_version=caption.version,
        changes={"coarse_label": "C", "fine_label": "C1", "description": "Waves a hand."},
    )
    run = BaselineRun.objects.create(
        benchmark=slot.queue.benchmark, name="vlm", predictor="external", settings_hash="y"
    )
    for item in QAItem.objects.filter(video_id=slot.video_id):
        Prediction.objects.create(run=run, item=item, item_version=item.version, outcome="parsed", parsed_answer="D")
        QualityFlag.objects.create(
            benchmark=slot.queue.benchmark,
            item=item,
            target_key=f"item:{item.pk}:x",
            kind="label_leak",
            source="lint",
            message=f"leaks {item.answer}",
        )


def test_before_the_blind_answers_no_byte_depends_on_keys_references_caption_flags_or_models(blind_clip, reviewer):
    client, slot = blind_clip
    before = every_fragment(client, slot)
    change_what_gives_answers_away(slot, reviewer)
    after = every_fragment(client, slot)
    for sent_before, sent_after in zip(before, after, strict=True):
        assert sent_before == sent_after
    page = after[0].decode()
    assert "clip_001" not in page  # a clip's file name can carry its label: shown after the blind answers
    for leaked in ("Waves a hand", "tilts, then rolls", "leaks ", "The person nods", "Reference answer", "key:"):
        assert leaked not in page, page[max(0, page.find(leaked) - 300) : page.find(leaked) + 100]


def test_after_the_blind_answers_everything_is_shown(blind_clip, answer_blind):
    client, slot = blind_clip
    answer_blind(client, slot)
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "key: <b>Yes</b>" in page and "Reference answer" in page and 'name="coarse_label"' in page


def test_a_blind_queue_decision_without_the_persons_blind_answer_is_refused_by_the_service(blind_clip, annotator):
    _, slot = blind_clip
    sad = QAItem.objects.get(qid="SAD_0001")
    blind_answer_record(slot_id=slot.pk, item_id=sad.pk, user=annotator, answer="Yes")
    with pytest.raises(BlindAnswerMissing, match="remaining question"):
        review_record(slot=slot, item=sad, user=annotator, decision="accept", seen_version=sad.version)
    assert not Review.objects.exists()
    refused = AuditEvent.objects.get(event_type="refused", target_kind="qaitem", target_id=sad.pk)
    assert refused.actor_user == annotator and refused.after["blind_questions_left"] == 1


def test_a_second_browser_cannot_answer_again(blind_clip, annotator):
    client, slot = blind_clip
    second = Client()
    second.force_login(annotator)  # another browser, another session, the same person
    sad = QAItem.objects.get(qid="SAD_0001")
    assert client.post(reverse("review-answer", args=[slot.pk, sad.pk]), {"answer": "No"}).status_code == 200
    page = second.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert f'hx-post="{reverse("review-answer", args=[slot.pk, sad.pk])}"' not in page  # no blind form for SAD_0001
    again = second.post(reverse("review-answer", args=[slot.pk, sad.pk]), {"answer": "Yes"}, headers=HX)
    assert again.status_code == 409 and "the first answer stands" in again.content.decode()
    assert list(BlindAnswer.objects.values_list("answer", flat=True)) == ["No"]
    assert AuditEvent.objects.filter(event_type="refused", target_id=sad.pk, actor_user=annotator).count() == 1


def test_a_handed_over_clip_shows_the_new_person_only_their_own_work(
    blind_clip, annotator, make_user, admin_user, answer_blind
):
    client, slot = blind_clip
    answer_blind(client, slot)
    sad = QAItem.objects.get(qid="SAD_0001")
    client.post(
        reverse("review-decide", args=[slot.pk, sad.pk]),
        {"decision": "reject", "version": sad.version, "reject_reasons": ["wrong_key"]},
    )
    queue_slot_release(queue=slot.queue, slot_id=slot.pk, by=admin_user)
    newcomer = make_user(User.Role.ANNOTATOR, "newcomer")
    Queue.objects.get(pk=slot.queue_id).annotators.add(newcomer)
    assert claim_next(queue=slot.queue, user=newcomer).pk == slot.pk
    theirs = Client()
    theirs.force_login(newcomer)
    page = theirs.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "Your answer:" not in page and "Your decision" not in page and "key:" not in page
    assert page.count('class="blind"') == 2  # they answer both closed questions themselves
    answer_blind(theirs, slot)
    for item in QAItem.objects.filter(video_id=slot.video_id):
        theirs.post(reverse("review-decide", args=[slot.pk, item.pk]), {"decision": "accept", "version": item.version})
    caption = Caption.objects.get(video_id=slot.video_id)
    theirs.post(reverse("review-caption", args=[slot.pk]), {"decision": "accept", "version": caption.version})
    done = QueueSlot.objects.get(pk=slot.pk)
    assert done.completed_by == newcomer
    assert QAItem.objects.get(pk=sad.pk).review_status == "accepted"  # settled by the newcomer's review alone
    earlier = Review.objects.get(item=sad, reviewer=annotator)
    assert earlier.decision == "reject" and earlier.slot_id == slot.pk  # still the earlier holder's, counted nowhere


def test_a_decision_after_the_lease_ran_out_is_refused_and_a_heartbeat_renews_it(blind_clip, annotator, answer_blind):
    client, slot = blind_clip
    answer_blind(client, slot)
    QueueSlot.objects.filter(pk=slot.pk).update(lease_expires=timezone.now() + timedelta(seconds=5))
    beat = client.post(reverse("review-heartbeat", args=[slot.pk]))
    assert beat.status_code == 200 and QueueSlot.objects.get(pk=slot.pk).lease_expires > timezone.now() + timedelta(
        minutes=20
    )
    QueueSlot.objects.filter(pk=slot.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))
    sad = QAItem.objects.get(qid="SAD_0001")
    late = client.post(
        reverse("review-decide", args=[slot.pk, sad.pk]), {"decision": "accept", "version": sad.version}, headers=HX
    )
    assert late.status_code == 409 and "lease on this clip ran out" in late.content.decode()
    assert not Review.objects.exists()
    assert client.post(reverse("review-heartbeat", args=[slot.pk])).status_code == 409  # no renewal once it ran out
    refusals = AuditEvent.objects.filter(event_type="refused", target_kind="queueslot", target_id=slot.pk)
    assert [e.after["action"] for e in refusals.order_by("id")] == ["decide item", "heartbeat"]
    with pytest.raises(LeaseExpired):
        review_record(slot=slot, item=sad, user=annotator, decision="accept", seen_version=sad.version)


def test_another_persons_decision_on_a_clip_they_do_not_hold_is_refused(blind_clip, make_user):
    _, slot = blind_clip
    sad = QAItem.objects.get(qid="SAD_0001")
    with pytest.raises(NotYourClaim):
        blind_answer_record(slot_id=slot.pk, item_id=sad.pk, user=make_user(User.Role.ADMIN, "boss"), answer="Yes")
    assert not BlindAnswer.objects.exists()


@pytest.mark.parametrize("version", [999999, 1])
def test_a_forged_or_stale_version_gets_the_conflict_view_and_one_edit_refused_event(
    blind_clip, answer_blind, reviewer, version
):
    client, slot = blind_clip
    answer_blind(client, slot)
    sad = QAItem.objects.get(qid="SAD_0001")
    sad = item_edit(item_id=sad.pk, actor=Actor.person(reviewer), expected_version=1, changes={"question": "Newer?"})
    fix = {"decision": "fix", "version": version, "question": "Mine?", "answer": "Yes", "confirm": "1"}
    response = client.post(reverse("review-decide", args=[slot.pk, sad.pk]), fix, headers=HX)
    assert response.status_code == 409 and "Someone else changed this question" in response.content.decode()
    assert QAItem.objects.get(pk=sad.pk).question == "Newer?" and not Review.objects.exists()
    [refused] = AuditEvent.objects.filter(event_type="edit_refused", target_id=sad.pk)
    assert (refused.target_version, refused.after["question"], refused.before["question"]) == (
        version,
        "Mine?",
        "Newer?",
    )
    accept = client.post(reverse("review-decide", args=[slot.pk, sad.pk]), {"decision": "accept", "version": version})
    assert accept.status_code == 409
    assert AuditEvent.objects.filter(event_type="edit_refused", target_id=sad.pk).count() == 2


def test_refused_stale_fixes_through_the_service_are_all_recorded(blind_clip, answer_blind, annotator, reviewer):
    client, slot = blind_clip
    answer_blind(client, slot)
    sad = QAItem.objects.get(qid="SAD_0001")
    item_edit(item_id=sad.pk, actor=Actor.person(reviewer), expected_version=1, changes={"question": "Newer?"})
    for attempt in range(10):
        with pytest.raises(Exception, match="changed meanwhile"):
            review_record(
                slot=slot,
                item=sad,
                user=annotator,
                decision="fix",
                seen_version=1,
                fix={"question": f"Mine {attempt}?", "answer": "Yes"},
            )
    assert AuditEvent.objects.filter(event_type="edit_refused", target_id=sad.pk, actor_user=annotator).count() == 10


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_25_people_pressing_start_twice_at_once_each_hold_one_clip_on_postgresql(
    benchmark, make_user, admin_user, at_once
):
    assert connection.vendor == "postgresql"
    Video.objects.bulk_create(Video(benchmark=benchmark, clip_name=f"c{n:03d}") for n in range(60))
    people = [make_user(User.Role.ANNOTATOR, f"p{n}") for n in range(25)]
    queue = Queue.objects.create(benchmark=benchmark, name="rush", created_by=admin_user)
    queue.annotators.set(people)
    videos = Video.objects.filter(benchmark=benchmark).order_by("clip_name")
    QueueSlot.objects.bulk_create(QueueSlot(queue=queue, video=v, copy=1, position=n) for n, v in enumerate(videos))
    browsers = []
    for person in people:
        for _ in range(2):
            browser = Client()
            browser.force_login(person)
            browsers.append(browser)
    statuses, failures = at_once(
        lambda b=b: b.post(reverse("queue-start", args=[queue.pk])).status_code for b in browsers
    )
    assert failures == []
    assert statuses == [302] * 50
    held = list(QueueSlot.objects.filter(claimed_by__isnull=False).values_list("claimed_by", flat=True))
    assert sorted(held) == sorted(p.pk for p in people)  # each person exactly one clip
    assert AuditEvent.objects.filter(event_type="claimed").count() == 25


def test_25_people_pressing_start_twice_at_once_each_hold_one_clip_on_sqlite(tmp_path):
    env = {"MABENCH_VAR_DIR": str(tmp_path), "PEOPLE": "25", "PATH": "/usr/bin:/bin"}  # the embedded default
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "tests" / "support" / "claim_race.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["vendor"] == "sqlite" and outcome["failures"] == []
    holders = [person for person, _ in outcome["held"]]
    assert sorted(holders) == sorted(f"p{n}" for n in range(25))  # each person exactly one clip
    assert len({slot for _, slot in outcome["held"]}) == 25


def test_the_trail_replays_after_a_review_with_refusals(blind_clip, answer_blind, reviewer, capsys):
    client, slot = blind_clip
    answer_blind(client, slot)
    sad = QAItem.objects.get(qid="SAD_0001")
    item_edit(item_id=sad.pk, actor=Actor.person(reviewer), expected_version=1, changes={"question": "Newer?"})
    client.post(reverse("review-decide", args=[slot.pk, sad.pk]), {"decision": "accept", "version": 1})
    for item in QAItem.objects.filter(video_id=slot.video_id):
        client.post(reverse("review-decide", args=[slot.pk, item.pk]), {"decision": "accept", "version": item.version})
    caption = Caption.objects.get(video_id=slot.video_id)
    client.post(reverse("review-caption", args=[slot.pk]), {"decision": "accept", "version": caption.version})
    assert QueueSlot.objects.get(pk=slot.pk).completed_at is not None
    call_command("verify_audit_trail")
    assert "rebuilds all" in capsys.readouterr().out


@pytest.mark.postgresql
def test_blind_answers_are_never_replaced_in_the_database_on_postgresql(blind_clip, annotator):
    from django.db import DatabaseError

    _, slot = blind_clip
    blind_answer_record(slot_id=slot.pk, item_id=QAItem.objects.get(qid="SAD_0001").pk, user=annotator, answer="No")
    for change in (lambda rows: rows.update(answer="Yes"), lambda rows: rows.delete()):
        with pytest.raises(DatabaseError, match="review_blindanswer is append-only"), transaction.atomic():
            change(BlindAnswer.objects.all())
    assert list(BlindAnswer.objects.values_list("answer", flat=True)) == ["No"]


def test_a_reviewer_holding_a_clip_blind_gets_none_of_its_content_from_pages_or_the_api(
    blind_clip, make_user, answer_blind
):
    _, slot = blind_clip
    reviewer = make_user(User.Role.REVIEWER, "rev-blind")
    Queue.objects.get(pk=slot.queue_id).annotators.add(reviewer)
    QueueSlot.objects.filter(pk=slot.pk).update(claimed_by=reviewer)
    QualityFlag.objects.create(
        benchmark=slot.queue.benchmark,
        item=QAItem.objects.get(qid="SAD_0001"),
        target_key="item:x",
        kind="label_leak",
        source="lint",
        message="leaks the key",
    )
    browser = Client()
    browser.force_login(reviewer)
    benchmark = slot.queue.benchmark
    api_items = browser.get("/api/items/", {"benchmark": benchmark.pk}).json()["results"]
    api_flags = browser.get("/api/flags/").json()["results"]
    api_videos = browser.get("/api/videos/", {"benchmark": benchmark.pk}).json()["results"]
    page = browser.get(reverse("benchmark-detail", args=[benchmark.pk])).content.decode()
    clip_name = slot.video.clip_name  # a clip's name can carry its label
    assert api_items == [] and api_flags == [] and api_videos == []
    assert "SAD_0001" not in page and clip_name not in page
    answer_blind(browser, slot)  # their blind answers are in: the content is theirs to see again
    assert len(browser.get("/api/items/", {"benchmark": benchmark.pk}).json()["results"]) == 3
    assert [v["clip_name"] for v in browser.get("/api/videos/", {"benchmark": benchmark.pk}).json()["results"]] == [
        clip_name
    ]
    page = browser.get(reverse("benchmark-detail", args=[benchmark.pk])).content.decode()
    assert "SAD_0001" in page and clip_name in page


@pytest.mark.parametrize("version", ["99999999999999999999", "-3", "v2", ""])
def test_a_version_that_is_no_number_the_database_holds_is_a_400_not_a_500(blind_clip, answer_blind, version):
    client, slot = blind_clip
    answer_blind(client, slot)
    sad = QAItem.objects.get(qid="SAD_0001")
    response = client.post(
        reverse("review-decide", args=[slot.pk, sad.pk]), {"decision": "accept", "version": version}, headers=HX
    )
    assert response.status_code in (400, 409) and not Review.objects.exists()
    caption = client.post(
        reverse("review-caption", args=[slot.pk]),
        {"decision": "fix", "version": version, "phase_middle_start": version},
        headers=HX,
    )
    assert caption.status_code in (400, 409)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_completing_their_copies_of_a_clip_at_once_both_succeed(
    benchmark, make_item, make_user, admin_user, at_once
):
    items = [make_item(f"SAD_000{n}", answer="Yes") for n in range(1, 4)]
    first, second = make_user(User.Role.ANNOTATOR, "copy1"), make_user(User.Role.ANNOTATOR, "copy2")
    queue = Queue.objects.create(benchmark=benchmark, name="pair", created_by=admin_user, overlap=2)
    queue.annotators.set([first, second])
    for copy in (1, 2):
        QueueSlot.objects.create(queue=queue, video_id=items[0].video_id, copy=copy, position=copy)
    slots = {person: claim_next(queue=queue, user=person) for person in (first, second)}
    # each decides in another order, so their last decisions hold different items when the clip settles
    orders = {first: items, second: items[::-1]}
    for person, order in orders.items():
        for item in items:
            blind_answer_record(slot_id=slots[person].pk, item_id=item.pk, user=person, answer="Yes")
        for item in order[:-1]:
            review_record(slot=slots[person], item=item, user=person, decision="accept", seen_version=item.version)

    def last(person):
        item = QAItem.objects.get(pk=orders[person][-1].pk)
        return review_record(slot=slots[person], item=item, user=person, decision="accept", seen_version=item.version)

    reviews, failures = at_once([lambda: last(first), lambda: last(second)])
    assert failures == [] and len(reviews) == 2
    assert set(QAItem.objects.filter(pk__in=[i.pk for i in items]).values_list("review_status", flat=True)) == {
        "accepted"
    }
    assert QueueSlot.objects.filter(queue=queue, completed_at__isnull=False).count() == 2
