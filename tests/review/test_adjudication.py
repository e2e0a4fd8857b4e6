"""Adjudication: disputed items reach reviewers with all their reviews; the decision is audited as "adjudicated"."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from annotation.errors import InvalidInput
from annotation.models import AuditEvent, QAItem
from annotation.services.audited_writes import Actor, EditConflict
from annotation.services.content import benchmark_create, item_edit
from review.models import Review, User
from review.services.adjudication import NotAwaitingAdjudication, adjudication_parts, item_adjudicate
from review.services.blind_answers import blind_answer_record
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import review_record


@pytest.fixture
def make_disputed(benchmark, make_clip, admin_user, make_user):
    """``make_disputed(clip)``: the clip's FMAR_0001 (key C), which two annotators answered B and C blind, the first
    rejecting it (wrong key, with a note), the second accepting: it needs adjudication."""

    def make(clip: str = "take_000") -> QAItem:
        _, [item] = make_clip(clip, {f"FMAR_{clip}" if clip != "take_000" else "FMAR_0001": ("FMAR", "C")})
        names = ("ann1", "ann2") if clip == "take_000" else (f"{clip}-a", f"{clip}-b")
        first, second = (make_user(User.Role.ANNOTATOR, name) for name in names)
        queue = queue_create(
            benchmark=benchmark,
            name="pass" if clip == "take_000" else f"pass {clip}",
            created_by=admin_user,
            overlap=2,
            annotators=[first, second],
            filters={"clips": [clip]},
        )
        for user, answer, decision, note in (
            (first, "B", "reject", "<b>key is wrong</b>"),
            (second, "C", "accept", ""),
        ):
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

    return make


@pytest.fixture
def disputed(make_disputed) -> QAItem:
    return make_disputed()


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


def test_a_rejection_takes_the_review_pages_reasons_and_the_trail_words_them(disputed, admin_user):
    item = item_adjudicate(
        item_id=disputed.pk,
        user=admin_user,
        decision="reject",
        expected_version=disputed.version,
        reject_reasons=["wrong_key", "ambiguous"],
        note="neither B nor C",
    )
    assert item.review_status == "rejected"
    assert last_event(item).reason == "adjudicated (ambiguous, wrong key): neither B nor C"
    assert adjudication_parts(last_event(item).reason) == (["ambiguous", "wrong_key"], "neither B nor C")
    assert adjudication_parts("adjudicated") == ([], "") and adjudication_parts("adjudicated: x: y") == ([], "x: y")


@pytest.mark.parametrize(
    ("reasons", "note", "field", "message"),
    [
        ([], "", "reject_reasons", "pick at least one"),
        (["bogus"], "", "reject_reasons", "unknown code bogus"),
        (["other"], "  ", "note", "'other' needs a note"),
    ],
)
def test_a_rejection_without_known_reasons_is_refused_naming_the_field(
    disputed, reviewer, reasons, note, field, message
):
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput, match=re.escape(message)) as refused:
        item_adjudicate(
            item_id=disputed.pk,
            user=reviewer,
            decision="reject",
            expected_version=disputed.version,
            reject_reasons=reasons,
            note=note,
        )
    assert refused.value.field == field
    assert AuditEvent.objects.count() == events
    assert QAItem.objects.get(pk=disputed.pk).review_status == "needs_adjudication"


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
    item_adjudicate(
        item_id=disputed.pk,
        user=reviewer,
        decision="reject",
        expected_version=disputed.version + 1,
        reject_reasons=["ambiguous"],
    )
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
        reverse("adjudication-decide", args=[disputed.pk]),
        {"decision": "reject", "version": disputed.version, "reject_reasons": ["wrong_key"]},
    )
    assert response.status_code == 302 and response["Location"] == reverse("adjudication-list")
    assert "Nothing to adjudicate." in client.get(reverse("adjudication-list")).content.decode()


HTMX = {"HX-Request": "true"}


def count_line(waiting: int, *, oob: bool = False) -> str:
    attribute = ' hx-swap-oob="true"' if oob else ""
    noun = "question awaits" if waiting == 1 else "questions await"
    return f'<p id="adjudication-count" role="status"{attribute}><b>{waiting}</b> {noun} a decision.</p>'


def test_each_card_carries_the_evidence_clip_caption_every_review_and_the_key(
    client, disputed, make_caption, reviewer, benchmark
):
    make_caption(video=disputed.video, description="Nods <script>alert(1)</script> twice")
    client.force_login(reviewer)
    page = client.get(reverse("adjudication-list"), {"benchmark": benchmark.pk}).content.decode()
    assert f'clip <a href="{reverse("clip-detail", args=[disputed.video_id])}">take_000</a>' in page
    assert f'hx-get="{reverse("clip-player", args=[disputed.video_id])}" hx-target="#evidence-player"' in page
    assert "<video" not in page and "<img" not in page  # no media until a clip is asked for
    assert "Caption: Nodding (Head) · Imported (not yet reviewed)" in page
    assert "Nods &lt;script&gt;alert(1)&lt;/script&gt; twice" in page and "<script>alert(1)" not in page
    assert "Key: <b>C</b>" in page
    for review in Review.objects.filter(item=disputed).select_related("reviewer"):
        when = dateformat.format(timezone.localtime(review.created_at), "Y-m-d H:i")
        assert f"<td>{review.reviewer.username}</td>" in page and f">{when}</time>" in page
    assert "<td>Wrong key</td>" in page  # ann1's reason, in words
    for code, label in Review.RejectReason.choices:  # the review page's reasons
        assert f'<input type="checkbox" name="reject_reasons" value="{code}"> {label}</label>' in page
    assert count_line(1) in page


def test_a_decision_leaves_the_outcome_and_the_note_on_the_card_and_updates_the_count(
    client, make_disputed, reviewer, benchmark
):
    first, second = make_disputed(), make_disputed("take_001")
    client.force_login(reviewer)
    assert count_line(2) in client.get(reverse("adjudication-list")).content.decode()
    rejected = client.post(
        reverse("adjudication-decide", args=[first.pk]),
        {
            "decision": "reject",
            "version": first.version,
            "reject_reasons": ["wrong_key", "other"],
            "note": "the stem & x < y is garbled",
            "benchmark": benchmark.pk,
        },
        headers=HTMX,
    )
    html = rejected.content.decode()
    assert rejected.status_code == 200 and "<html" not in html
    assert "Adjudicated by <b>reviewer</b>" in html and "<b>Rejected</b> (Other (see note), Wrong key)." in html
    assert "Note: the stem &amp; x &lt; y is garbled" in html and "x < y" not in html
    assert 'name="decision"' not in html  # settled: nothing more to decide here
    assert count_line(1, oob=True) in html
    accepted = client.post(
        reverse("adjudication-decide", args=[second.pk]),
        {"decision": "accept", "version": second.version, "note": "C is right"},
        headers=HTMX,
    ).content.decode()
    assert "<b>Accepted</b>." in accepted and "Note: C is right" in accepted and count_line(0, oob=True) in accepted


def test_the_count_follows_the_pages_benchmark_filter(client, make_disputed, reviewer, benchmark, generator):
    first = make_disputed()
    other = benchmark_create(name="Other bench", actor=generator)
    QAItem.objects.filter(pk=make_disputed("take_001").pk).update(benchmark=other)
    client.force_login(reviewer)
    response = client.post(
        reverse("adjudication-decide", args=[first.pk]),
        {"decision": "accept", "version": first.version, "benchmark": benchmark.pk},
        headers=HTMX,
    )
    assert count_line(0, oob=True) in response.content.decode()  # the other benchmark's item is not counted


@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ({}, "reject reasons: pick at least one"),
        ({"reject_reasons": ["bogus"]}, "reject_reasons: Select a valid choice. bogus is not one of"),
        ({"reject_reasons": ["other"]}, "note: &#x27;other&#x27; needs a note saying what is wrong"),
    ],
)
def test_a_rejection_on_the_page_needs_known_reasons_and_keeps_what_was_typed(
    client, disputed, reviewer, posted, error
):
    client.force_login(reviewer)
    response = client.post(
        reverse("adjudication-decide", args=[disputed.pk]),
        {"decision": "reject", "version": disputed.version, **posted},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400 and error in html
    assert QAItem.objects.get(pk=disputed.pk).review_status == "needs_adjudication"
    if posted.get("reject_reasons") == ["other"]:
        assert 'value="other" checked>' in html


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_number_of_cards(client, make_disputed, reviewer):
    make_disputed()
    client.force_login(reviewer)
    counts = []
    for clip in (None, "take_001", "take_002"):
        if clip:
            make_disputed(clip)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("adjudication-list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_a_clip_held_blind_leaves_the_page_and_its_player(client, disputed, reviewer, admin_user, benchmark):
    queue = queue_create(benchmark=benchmark, name="verify", created_by=admin_user, annotators=[reviewer])
    claim_next(queue=queue, user=reviewer)
    client.force_login(reviewer)
    assert "FMAR_0001" not in client.get(reverse("adjudication-list")).content.decode()
    assert client.get(reverse("clip-player", args=[disputed.video_id])).status_code == 404
    decided = client.post(reverse("adjudication-decide", args=[disputed.pk]), {"decision": "accept", "version": 1})
    assert decided.status_code == 404
