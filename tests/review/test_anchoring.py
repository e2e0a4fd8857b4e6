"""Anchoring: a blind answer that differed from the key the person was shown, and the key kept all the same.

The reviews are made through the review services (claim, blind answer, decision, fix), and the items edited
through the audited write path, so the versions and the trail are the ones the app writes. The test
recomputes every figure from the audit trail on its own, beside the numbers the scenario gives by hand.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.domain.taxonomy import CLOSED_TASKS
from annotation.models import AuditEvent, QAItem
from annotation.services.audited_writes import Actor, EditConflict
from annotation.services.content import item_edit
from review.models import Review, User
from review.selectors.anchoring import anchoring_by_person_and_task, anchoring_warns
from review.services.blind_answers import blind_answer_record
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import review_record


@pytest.fixture
def decide(benchmark, admin_user):
    """``decide(person, item, blind, decision, ..., before=callable)``: the person claims the item's clip in a
    queue of its own, answers blind (unless ``blind`` is None), ``before()`` runs (an edit meanwhile), then they
    decide on the version current then, as the review page would send it."""

    def run(person, item, blind, decision, *, fix=None, reject_reasons=(), before=None) -> Review:
        queue = queue_create(
            benchmark=benchmark,
            name=f"{person.username} {item.qid}",
            created_by=admin_user,
            filters={"clips": [item.video.clip_name]},
            annotators=[person],
        )
        slot = claim_next(queue=queue, user=person)
        assert slot.video_id == item.video_id
        if blind is not None:
            blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=person, answer=blind)
        if before:
            before()
        seen = QAItem.objects.get(pk=item.pk).version
        return review_record(
            slot=slot,
            item=item,
            user=person,
            decision=decision,
            seen_version=seen,
            fix=fix,
            reject_reasons=list(reject_reasons),
        )

    return run


def _edit_key(admin_user, item: QAItem, answer: str) -> None:
    current = QAItem.objects.get(pk=item.pk)
    item_edit(
        item_id=item.pk, actor=Actor.person(admin_user), expected_version=current.version, changes={"answer": answer}
    )


@pytest.fixture
def seeded(make_clip, make_user, admin_user, decide):
    """ann: seven SAD reviews (kept a differing key thrice, once by a fix that left the key; fixed the key once;
    rejected once; matched once; answered a key that was edited before she decided, then a stale edit of it was
    refused), one FMAR she accepted
    against her own answer, one open question. bob: one SAD review that matched."""
    ann, bob = make_user(User.Role.ANNOTATOR, "ann"), make_user(User.Role.ANNOTATOR, "bob")
    sad = {n: make_clip(f"take_{n}", {f"SAD_000{n}": ("SAD", "Yes")})[1][0] for n in range(1, 7)}
    sad[7] = make_clip("take_7", {"SAD_0007": ("SAD", "No")})[1][0]
    _, [fmar, madu] = make_clip("take_8", {"FMAR_0001": ("FMAR", "A"), "MADU_0001": ("MADU", "The head dips.")})
    decide(ann, sad[1], "No", "accept")  # differed, kept
    decide(ann, sad[2], "Yes", "accept")  # matched
    decide(ann, sad[3], "No", "fix", fix={"answer": "No"})  # differed, fixed the key
    decide(ann, sad[4], "No", "reject", reject_reasons=["wrong_key"])  # differed, rejected
    decide(ann, sad[5], "No", "fix", fix={"question": "Does the head dip?"})  # differed, kept by a fix
    decide(ann, sad[6], "No", "accept")  # differed, kept; the key is edited to her answer afterwards
    _edit_key(admin_user, sad[6], "No")
    # she answered Yes against the key No, the key was edited to Yes before she decided: what she saw was Yes
    decide(ann, sad[7], "Yes", "accept", before=lambda: _edit_key(admin_user, sad[7], "Yes"))
    with pytest.raises(EditConflict):  # a stale edit of v1 back to No: refused, its attempt kept in the trail
        item_edit(item_id=sad[7].pk, actor=Actor.person(admin_user), expected_version=1, changes={"answer": "No"})
    assert AuditEvent.objects.filter(target_id=sad[7].pk, event_type="edit_refused", after__answer="No").exists()
    decide(bob, QAItem.objects.get(pk=sad[2].pk), "Yes", "accept")
    fmar_review = decide(ann, QAItem.objects.get(pk=fmar.pk), "C", "accept")
    review_record(
        slot=fmar_review.slot,
        item=madu,
        user=ann,
        decision="accept",
        seen_version=QAItem.objects.get(pk=madu.pk).version,
    )
    return {"ann": ann, "bob": bob, "sad": sad}


def _recomputed(reviews) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(person, task) -> (answered, disagreed, anchored, kept by a fix), folded from the audit trail by hand."""
    keys: dict[int, list[tuple[int, str]]] = defaultdict(list)  # item -> [(version, key from then on)]
    events = AuditEvent.objects.filter(
        target_kind="qaitem", event_type__in=["created", "edited"], after__has_key="answer"
    ).order_by("id")
    for event in events:
        keys[event.target_id].append((event.target_version, event.after["answer"]))

    def key_at(item_id: int, version: int) -> str:
        return [key for since, key in keys[item_id] if since <= version][-1]

    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for review in reviews.select_related("reviewer", "item"):
        if not review.blind_answer or review.item.task not in CLOSED_TASKS:
            continue
        shown = key_at(review.item_id, review.item_version - (review.decision == "fix"))
        after = key_at(review.item_id, review.item_version)
        counts = table[(review.reviewer.username, review.item.task)]
        counts[0] += 1
        if review.blind_answer != shown:
            counts[1] += 1
            kept = review.decision != "reject" and after == shown
            counts[2] += kept
            counts[3] += kept and review.decision == "fix"
    return {key: tuple(counts) for key, counts in table.items()}


def test_anchoring_counts_each_person_and_task_against_the_key_they_saw(seeded):
    anchoring = anchoring_by_person_and_task(reviews=Review.objects.all())
    got = {(r.username, r.task): (r.answered, r.disagreed, r.anchored, r.kept_by_fix) for r in anchoring.rows}
    assert got == {("ann", "SAD"): (7, 5, 3, 1), ("ann", "FMAR"): (1, 1, 1, 0), ("bob", "SAD"): (1, 0, 0, 0)}
    assert got == _recomputed(Review.objects.all())
    assert [(r.username, r.task) for r in anchoring.rows] == [("ann", "FMAR"), ("ann", "SAD"), ("bob", "SAD")]
    rates = {(r.username, r.task): r.rate for r in anchoring.rows}
    assert rates == {("ann", "SAD"): 0.6, ("ann", "FMAR"): 1.0, ("bob", "SAD"): None}
    # against the keys as they are now, SAD_0006 would count as matched and SAD_0007 as differing
    sad = seeded["sad"]
    assert QAItem.objects.get(pk=sad[6].pk).answer == "No" and QAItem.objects.get(pk=sad[7].pk).answer == "Yes"
    assert Review.objects.get(item=sad[7]).blind_answer == "Yes"


def test_the_warning_needs_the_rate_above_the_threshold_on_enough_disagreements(seeded, settings):
    def warned() -> list[tuple[str, str]]:
        return [(r.username, r.task) for r in anchoring_by_person_and_task(reviews=Review.objects.all()).warned]

    assert warned() == [("ann", "SAD")]  # 3 of 5 > 50 %, 5 disagreements; FMAR 1 of 1 is too few
    settings.ANCHORING_MIN_DISAGREEMENTS = 6
    assert warned() == []
    settings.ANCHORING_MIN_DISAGREEMENTS = 1
    assert warned() == [("ann", "FMAR"), ("ann", "SAD")]
    settings.ANCHORING_WARN_RATE = 0.6  # exceeds, not equals
    assert warned() == [("ann", "FMAR")]
    assert anchoring_warns(disagreed=0, anchored=0, warn_rate=0.0, min_disagreements=0) is False


def test_anchoring_reads_two_queries_whatever_the_number_of_reviews_and_edits(
    seeded, make_clip, make_user, admin_user, decide
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            anchoring_by_person_and_task(reviews=Review.objects.all())
        return len(captured)

    assert queries() == 2  # the reviews, and the key-setting events of their edited items
    cy = make_user(User.Role.ANNOTATOR, "cy")
    for n in range(3):
        item = make_clip(f"more_{n}", {f"SAD_100{n}": ("SAD", "Yes")})[1][0]
        decide(cy, item, "No", "fix" if n else "accept", fix={"answer": "No"} if n else None)
        _edit_key(admin_user, item, "Yes" if n else "No")
    assert queries() == 2
    [row] = [r for r in anchoring_by_person_and_task(reviews=Review.objects.all()).rows if r.username == "cy"]
    assert (row.answered, row.disagreed, row.anchored) == (3, 3, 1)


def test_the_dashboards_show_the_table_and_warn_admins_only(client, seeded, benchmark, admin_user, make_user):
    client.force_login(admin_user)
    page = client.get(reverse("benchmark-dashboard", args=[benchmark.pk])).content.decode()
    section = page[page.index('<section id="anchoring">') :].split("</section>")[0]
    assert '<div class="anchoring-warning" role="alert">' in section
    assert "<li>ann on SAD: 3 of 5</li>" in section and "ann on FMAR" not in section.split("<table")[0]
    row = section[section.index('<tr class="anchoring-warn"><td>ann</td><td>SAD</td>') :].split("</tr>")[0]
    cells = [c.split("<")[0].strip() for c in row.split('<td class="num">')[1:]]
    assert cells == ["7", "5", "3", "1", "60"] and "above threshold" in row
    assert "<tr><td>bob</td><td>SAD</td>" in section and "on at least 5 disagreements" in section
    assert " style=" not in section

    queue = seeded["sad"][1].reviews.get().slot.queue  # ann's queue over SAD_0001 alone: 1 of 1, too few
    page = client.get(reverse("queue-dashboard", args=[queue.pk])).content.decode()
    section = page[page.index('<section id="anchoring">') :].split("</section>")[0]
    assert "<tr><td>ann</td><td>SAD</td>" in section and "anchoring-warning" not in section

    for role in (User.Role.ANNOTATOR, User.Role.REVIEWER):
        client.force_login(make_user(role, f"{role}-looks"))
        assert client.get(reverse("benchmark-dashboard", args=[benchmark.pk])).status_code == 403
        assert client.get(reverse("queue-dashboard", args=[queue.pk])).status_code == 403
    client.force_login(seeded["ann"])
    assert "anchoring" not in client.get(reverse("home")).content.decode().lower()
