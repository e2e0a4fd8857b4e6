"""Evidence spans (issue 17, point 5): a person marks the frames that show a question's answer with their
decision; the review service checks them against the clip's decoded frames, the ``reviewed`` event names
them, the release provenance carries them, and the adjudication page, the clip view and the benchmark
dashboard show them."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.errors import InvalidInput
from annotation.exports.release_export import export_chunks
from annotation.models import AuditEvent, Caption, QAItem
from annotation.selectors import release_rows
from annotation.services.releases import release_create, release_manifest
from review.models import QueueSlot, Review, User
from review.services.blind_answers import blind_answer_record
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import caption_review_record, review_record

START, END = "evidence_start_frame", "evidence_end_frame"


def decide(slot, qid, user, start=None, end=None, decision="accept", **extra):
    item = QAItem.objects.get(qid=qid)
    return review_record(
        slot=slot,
        item=item,
        user=user,
        decision=decision,
        seen_version=item.version,
        evidence_start_frame=start,
        evidence_end_frame=end,
        **extra,
    )


def post_decision(client, slot, qid, data):
    item = QAItem.objects.get(qid=qid)
    return client.post(
        reverse("review-decide", args=[slot.pk, item.pk]),
        {"decision": "accept", "version": item.version, **data},
        headers={"HX-Request": "true"},
    )


# --- the service --------------------------------------------------------------------------------------------


def test_a_span_is_stored_with_the_review_and_named_by_its_reviewed_event(
    answered_clip, annotator, processed_clip, events_during
):
    _, slot = answered_clip
    assert processed_clip.frame_count == 60  # 2.4 s at 25 fps
    with events_during() as events:
        review = decide(slot, "SAD_0001", annotator, 12, 59)
    review.refresh_from_db()
    assert (review.evidence_start_frame, review.evidence_end_frame) == (12, 59)
    [reviewed] = [e for e in events if e.event_type == AuditEvent.EventType.REVIEWED]
    assert reviewed.after[START] == 12 and reviewed.after[END] == 59
    assert reviewed.after["decision"] == "accept"
    span = Review.objects.select_related("item__video").get(pk=review.pk).evidence_span
    assert (span.frames, span.seconds, span.start_seconds) == (48, 48 / 25, 12 / 25)


def test_a_one_frame_span_and_no_span_are_both_decisions(answered_clip, annotator, events_during):
    _, slot = answered_clip
    with events_during() as events:
        one = decide(slot, "SAD_0001", annotator, 0, 0)
        none = decide(slot, "MADU_0001", annotator)
    assert (one.evidence_start_frame, one.evidence_end_frame) == (0, 0)
    assert (none.evidence_start_frame, none.evidence_end_frame) == (None, None)
    reviewed = [e.after for e in events if e.event_type == AuditEvent.EventType.REVIEWED]
    assert [(a[START], a[END]) for a in reviewed] == [(0, 0), (None, None)]


@pytest.mark.parametrize(
    ("start", "end", "field", "says"),
    [
        (10, None, END, "needs both ends"),
        (None, 10, START, "needs both ends"),
        (30, 20, END, "before the span's start (frame 30)"),
        (10, 60, END, "past the clip's last frame (59)"),
        (60, 61, START, "past the clip's last frame (59)"),
        (-1, 5, START, "not a frame index"),
        (2, True, END, "not a frame index"),
    ],
)
def test_a_span_that_breaks_a_rule_is_refused_naming_the_field_and_nothing_is_written(
    answered_clip, annotator, events_during, start, end, field, says
):
    _, slot = answered_clip
    with events_during() as events, pytest.raises(InvalidInput) as refused:
        decide(slot, "SAD_0001", annotator, start, end)
    assert refused.value.field == field and str(refused.value).startswith(f"{field}: ") and says in str(refused.value)
    assert events == [] and not Review.objects.exists()
    assert QueueSlot.objects.get(pk=slot.pk).completed_at is None


def test_a_span_on_a_clip_whose_frames_are_not_decoded_is_refused(
    benchmark, make_item, admin_user, annotator, events_during
):
    make_item("SAD_0001", answer="Yes")  # the video fixture, never processed
    queue = queue_create(benchmark=benchmark, name="unprocessed", created_by=admin_user, annotators=[annotator])
    slot = claim_next(queue=queue, user=annotator)
    blind_answer_record(slot_id=slot.pk, item_id=QAItem.objects.get().pk, user=annotator, answer="Yes")
    with events_during() as events, pytest.raises(InvalidInput, match="not decoded yet") as refused:
        decide(slot, "SAD_0001", annotator, 0, 1)
    assert refused.value.field == START and events == [] and not Review.objects.exists()
    decide(slot, "SAD_0001", annotator)  # without a span the decision stands


def test_a_blind_queue_refuses_a_span_before_the_blind_answers_like_any_decision(claimed_clip, annotator):
    _, slot = claimed_clip
    with pytest.raises(Exception, match="answer") as refused:
        decide(slot, "SAD_0001", annotator, 1, 2)
    assert refused.value.status == 409 and not Review.objects.exists()


# --- the release provenance ---------------------------------------------------------------------------------


def test_the_release_provenance_carries_each_persons_span(answered_clip, annotator, admin_user, benchmark):
    _, slot = answered_clip
    decide(slot, "SAD_0001", annotator, 5, 17, reason="the nod")
    decide(slot, "MADU_0001", annotator)
    caption = Caption.objects.get()
    caption_review_record(slot=slot, caption=caption, user=annotator, decision="accept", seen_version=caption.version)
    assert set(QAItem.objects.values_list("review_status", flat=True)) == {"accepted"}
    release = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    rows = {
        row["qid"]: row
        for row in map(
            json.loads,
            b"".join(export_chunks("jsonl", release_manifest(release), release_rows(release=release))).splitlines(),
        )
    }
    [span] = rows["SAD_0001"]["provenance"]["evidence_spans"]
    assert (span["by"], span["by_person"], span["start_frame"], span["end_frame"]) == ("annotator", True, 5, 17)
    assert (span["decision"], span["stage"]) == ("accept", "first_pass")
    assert rows["MADU_0001"]["provenance"]["evidence_spans"] == []


# --- the review page ----------------------------------------------------------------------------------------


def test_the_page_posts_the_span_with_the_decision_and_shows_it(answered_clip, annotator):
    client, slot = answered_clip
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert 'data-key="i" data-span-mark="start"' in page and 'data-key="o" data-span-mark="end"' in page
    assert 'name="evidence_start_frame"' in page and "js/evidence-span.js" in page
    response = post_decision(client, slot, "SAD_0001", {START: "20", END: "31"})
    assert response.status_code == 200
    card = response.content.decode()
    assert "Your evidence span: frames <b>20–31</b>" in card and 'data-span-start="20" data-span-end="31"' in card
    review = Review.objects.get(item__qid="SAD_0001")
    assert (review.evidence_start_frame, review.evidence_end_frame) == (20, 31)


@pytest.mark.parametrize(
    ("data", "field"),
    [({START: "20", END: "10"}, END), ({START: "5"}, END), ({START: "abc", END: "3"}, START), ({END: "600"}, START)],
)
def test_a_bad_span_on_the_page_is_a_400_naming_the_field_and_keeps_what_was_marked(answered_clip, data, field):
    client, slot = answered_clip
    response = post_decision(client, slot, "SAD_0001", data)
    card = response.content.decode()
    assert response.status_code == 400 and f"{field}: " in card
    assert not Review.objects.exists()
    if data.get(START, "").isdigit():  # the marked ends stay on the card, to fix or clear
        assert f'name="evidence_start_frame" value="{data[START]}"' in card


def test_before_the_blind_answers_nothing_of_the_span_controls_is_on_the_page(claimed_clip):
    client, slot = claimed_clip
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "Your answer from the video" in page
    assert "data-span-mark" not in page and 'name="evidence_start_frame"' not in page
    assert "<kbd>I</kbd>/<kbd>O</kbd>" in page  # the keys are listed; they act once the decision form is there


def test_a_fix_preview_carries_the_span_to_the_saved_fix(answered_clip):
    client, slot = answered_clip
    preview = post_decision(
        client, slot, "SAD_0001", {"decision": "fix", "question": "Does it nod?", START: "3", END: "9"}
    )
    assert preview.status_code == 200 and "Save fix" in preview.content.decode()
    assert 'name="evidence_start_frame" value="3"' in preview.content.decode()
    saved = post_decision(
        client, slot, "SAD_0001", {"decision": "fix", "question": "Does it nod?", "confirm": "1", START: "3", END: "9"}
    )
    assert saved.status_code == 200
    review = Review.objects.get(item__qid="SAD_0001")
    assert (review.decision, review.evidence_start_frame, review.evidence_end_frame) == ("fix", 3, 9)


def test_back_from_a_fix_preview_keeps_the_marked_span(answered_clip):
    client, slot = answered_clip
    item = QAItem.objects.get(qid="SAD_0001")
    preview = post_decision(
        client, slot, "SAD_0001", {"decision": "fix", "question": "Does it nod?", START: "3", END: "9"}
    )
    assert 'hx-include="closest form"' in preview.content.decode()  # Back sends the preview's fields along
    back = client.get(reverse("review-card", args=[slot.pk, item.pk]), {START: "3", END: "9", "confirm": "1"})
    card = back.content.decode()
    assert 'name="evidence_start_frame" value="3"' in card and 'name="evidence_end_frame" value="9"' in card
    assert "frames 3–9" in card and not Review.objects.exists()
    plain = client.get(reverse("review-card", args=[slot.pk, item.pk]), {START: "x"}).content.decode()
    assert 'name="evidence_start_frame" value=""' in plain


# --- where spans are read -----------------------------------------------------------------------------------


@pytest.fixture
def disputed_with_spans(processed_clip, make_item, benchmark, admin_user, make_user):
    """FMAR_0001 (key C) on the processed clip: ann1 answered B and rejected it marking frames 10-34, ann2
    answered C and accepted it marking 20-29: it waits for adjudication."""
    item = make_item("FMAR_0001", task="FMAR", answer="C")
    first, second = make_user(User.Role.ANNOTATOR, "ann1"), make_user(User.Role.ANNOTATOR, "ann2")
    queue = queue_create(benchmark=benchmark, name="pass", created_by=admin_user, overlap=2, annotators=[first, second])
    for user, answer, decision, span in ((first, "B", "reject", (10, 34)), (second, "C", "accept", (20, 29))):
        slot = claim_next(queue=queue, user=user)
        blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=user, answer=answer)
        reasons = ["wrong_key"] if decision == "reject" else []
        decide(slot, "FMAR_0001", user, *span, decision=decision, reject_reasons=reasons)
    item = QAItem.objects.get(pk=item.pk)
    assert item.review_status == "needs_adjudication"
    return item


def test_the_adjudication_page_shows_each_persons_span_in_frames_and_seconds(client, disputed_with_spans, reviewer):
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("adjudication-list")).content.decode()
    assert "frames 10–34 (25) · 0.400 s + 1.000 s" in page  # 25 frames at 25 fps, from frame 10 = 0.4 s
    assert "frames 20–29 (10) · 0.800 s + 0.400 s" in page
    assert not [q for q in queries if 'FROM "annotation_video"' in q["sql"] and "WHERE" in q["sql"]]  # no per-review


def test_the_clip_view_lists_spans_per_person_and_draws_them(client, disputed_with_spans, processed_clip, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("clip-detail", args=[processed_clip.pk])).content.decode()
    assert "<caption>Evidence spans</caption>" in page
    assert "<td>ann1</td>" in page and "10–34 (25)" in page and "0.400 s + 1.000 s" in page
    assert '<rect x="20" y="0" width="10" height="1">' in page and 'viewBox="0 0 60 1"' in page
    assert "evidence frames 10–34" in page  # the history words the span too
    assert " style=" not in page.split('<section class="question-pane"', 1)[1]  # drawn by SVG attributes


def test_the_benchmark_dashboard_shows_the_median_span_per_task(client, disputed_with_spans, admin_user, benchmark):
    client.force_login(admin_user)
    page = client.get(reverse("benchmark-dashboard", args=[benchmark.pk])).content.decode()
    table = page.split('id="evidence-spans"', 1)[1].split("</table>", 1)[0]
    # FMAR: one question, spans of 25 and 10 frames: the median 17.5 frames, 0.70 s at 25 fps
    assert '<td class="num">17.5</td>' in table and '<td class="num">0.70</td>' in table
