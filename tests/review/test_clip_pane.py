"""The review page's clip and caption panes: frames by index, the clip with Range, caption decisions,
hand scores of open answers, and a query count that does not grow with the clip's questions."""

import html
import json
import re

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.models import AuditEvent, BaselineRun, Caption, JudgeScore, Prediction, QAItem
from annotation.services.audited_writes import Actor
from annotation.services.content import caption_edit
from review.models import CaptionReview, QueueSlot
from review.scrubber import scrub_view


def scrub_data(page: str) -> dict:
    return json.loads(re.search(r'<script id="scrub-data" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_the_page_sends_every_frame_with_its_decoded_offset_and_the_model_frames(claimed_clip):
    client, slot = claimed_clip
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    data = scrub_data(page)
    video = slot.video
    video.refresh_from_db()
    assert data["frameCount"] == video.frame_count == 60
    assert data["offsets"] == pytest.approx([i / 25 for i in range(60)], abs=1e-6)  # from the decoder's pts
    assert data["modelFrames"] == video.model_view_indices and len(data["modelFrames"]["mac2026"]) == 8
    assert data["frameUrl"].startswith(f"/review/{slot.pk}/frames/{{index}}.jpg?v=")
    for index in video.model_view_indices["mac2026"]:
        assert f'data-frame="{index}"' in page  # each model frame is a jump button on the strip


def test_a_frame_url_serves_that_stored_frame_and_nothing_past_the_end(claimed_clip):
    client, slot = claimed_clip
    view = scrub_view(slot.video)
    response = client.get(reverse("review-frame", args=[slot.pk, 17]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    with default_storage.open(view.scrub_file(17), "rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert client.get(reverse("review-frame", args=[slot.pk, 60])).status_code == 404


def test_the_clip_is_served_with_byte_ranges(claimed_clip):
    client, slot = claimed_clip
    url = reverse("review-clip", args=[slot.pk])
    whole = client.get(url)
    body = b"".join(whole.streaming_content)
    size = len(body)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and body[4:8] == b"ftyp"
    first = client.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first["Content-Range"] == f"bytes 0-99/{size}"
    assert b"".join(first.streaming_content) == body[:100]
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert (
        b"".join(tail.streaming_content) == body[-10:]
        and tail["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    )
    middle = client.get(url, headers={"Range": f"bytes={size - 5}-"})
    assert b"".join(middle.streaming_content) == body[-5:]
    past = client.get(url, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{size}"


def post_caption(client, slot, data):
    return client.post(reverse("review-caption", args=[slot.pk]), data, headers={"HX-Request": "true"})


def field_error(response, field: str) -> str:
    """The problem shown beside a caption field (its element named by the field's aria-describedby)."""
    match = re.search(
        rf'<span class="field-error error" id="caption-error-{field}">(.*?)</span>', response.content.decode()
    )
    return html.unescape(match.group(1)) if match else ""


def caption_form(caption: Caption, **changes) -> dict:
    fields = {
        name: getattr(caption, name)
        for name in (
            "coarse_label",
            "fine_label",
            "trend",
            "dominant_part",
            "direction_path",
            "phase_early",
            "phase_middle",
            "phase_late",
            "contact",
            "description",
        )
    }
    return (
        fields
        | {
            "other_parts": ", ".join(caption.other_parts),
            "phase_middle_start": "",
            "phase_late_start": "",
            "version": caption.version,
            "decision": "fix",
        }
        | changes
    )


def test_caption_fixes_are_checked_against_the_taxonomy_and_phase_starts_are_frames(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    wrong = post_caption(client, slot, caption_form(caption, fine_label="C5"))  # a Waving (upper limb) under Head
    assert wrong.status_code == 400 and "Fine label: C5 Waving belongs to coarse category C" in field_error(
        wrong, "fine_label"
    )
    backwards = post_caption(client, slot, caption_form(caption, phase_middle_start="30", phase_late_start="20"))
    assert backwards.status_code == 400
    assert "Late phase start frame: frame 20 is not after" in field_error(backwards, "phase_late_start")
    not_a_frame = post_caption(client, slot, caption_form(caption, phase_middle_start="1.5"))
    assert not_a_frame.status_code == 400
    assert "Middle phase start frame: a frame index" in field_error(not_a_frame, "phase_middle_start")
    assert Caption.objects.get(pk=caption.pk).version == caption.version and not CaptionReview.objects.exists()

    fixed = post_caption(
        client,
        slot,
        caption_form(
            caption,
            fine_label="B2",
            phase_middle_start="20",
            phase_late_start="41",
            description="Shakes the head & 1 < 2.",
        ),
    )
    assert fixed.status_code == 200 and fixed["X-Mabench-Saved"] == f"caption:{slot.pk}:{caption.pk}"
    caption = Caption.objects.get(pk=caption.pk)
    assert (caption.fine_label, caption.phase_middle_start, caption.phase_late_start) == ("B2", 20, 41)
    assert "Shakes the head &amp; 1 &lt; 2." in fixed.content.decode()
    edit = AuditEvent.objects.filter(target_kind="caption", target_id=caption.pk, after__has_key="fine_label").latest(
        "id"
    )
    assert edit.after["phase_middle_start"] == 20 and edit.actor_user.username == "annotator"
    assert CaptionReview.objects.get(caption=caption).decision == "fix"


def test_a_caption_accepted_after_someone_changed_it_is_a_conflict(answered_clip, reviewer):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    caption_edit(
        caption_id=caption.pk,
        actor=Actor.person(reviewer),
        expected_version=caption.version,
        changes={"description": "Edited meanwhile."},
    )
    stale = post_caption(client, slot, {"decision": "accept", "version": caption.version})
    assert stale.status_code == 409 and "changed meanwhile" in stale.content.decode()
    mine = post_caption(client, slot, caption_form(caption, dominant_part="neck"))
    page = mine.content.decode()
    assert mine.status_code == 409 and "<ins>neck</ins>" in page and 'value="neck"' in page  # kept in the form
    assert not CaptionReview.objects.exists()


def test_a_clip_is_done_only_when_its_caption_and_every_question_are_decided(answered_clip, annotator):
    client, slot = answered_clip
    for item in QAItem.objects.filter(video=slot.video):
        client.post(reverse("review-decide", args=[slot.pk, item.pk]), {"decision": "accept", "version": item.version})
    assert QueueSlot.objects.get(pk=slot.pk).completed_at is None
    assert QAItem.objects.get(qid="SAD_0001").review_status == "imported"  # nothing settles before the clip is done
    caption = Caption.objects.get(video=slot.video)
    response = post_caption(client, slot, {"decision": "accept", "version": caption.version})
    assert response.status_code == 200 and "Your decision: <b>Accept</b>" in response.content.decode()
    assert QueueSlot.objects.get(pk=slot.pk).completed_by == annotator
    assert Caption.objects.get(pk=caption.pk).review_status == "accepted"
    assert QAItem.objects.get(qid="SAD_0001").review_status == "accepted"


def test_reviewers_score_open_answers_by_hand_on_the_judges_dimensions(answered_clip, benchmark):
    client, slot = answered_clip
    madu = QAItem.objects.get(qid="MADU_0001")
    run = BaselineRun.objects.create(benchmark=benchmark, name="vlm-a", predictor="external", settings_hash="x")
    prediction = Prediction.objects.create(
        run=run, item=madu, item_version=madu.version, outcome="parsed", parsed_answer="The head <i>nods</i>."
    )
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "behavioural-semantic alignment" in page and "The head &lt;i&gt;nods&lt;/i&gt;." in page
    url = reverse("review-score", args=[slot.pk, prediction.pk])
    bad = client.post(url, {"l1": "4", "l2": "6", "l3": "3"})
    assert bad.status_code == 400 and "l2: give an integer from 0 to 5" in bad.content.decode()
    assert client.post(url, {"l1": "4", "l2": "2", "l3": "3"}).status_code == 200
    client.post(url, {"l1": "5", "l2": "2", "l3": "3"})  # scoring again replaces
    score = JudgeScore.objects.get(prediction=prediction)
    assert (score.judge, score.l1, score.l2, score.l3) == ("human:annotator", 5, 2, 3)


@pytest.mark.parametrize("blind_done", [False, True])
def test_the_page_costs_the_same_queries_with_2_or_12_questions(claimed_clip, make_item, answer_blind, blind_done):
    client, slot = claimed_clip
    url = reverse("review-slot", args=[slot.pk])
    if blind_done:
        answer_blind(client, slot)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    for n in range(2, 12):
        make_item(f"SAD_{n:04d}", answer="No")
    if blind_done:
        answer_blind(client, slot)
    with CaptureQueriesContext(connection) as twelve:
        page = client.get(url).content.decode()
    assert page.count('class="question-card') == 12
    assert len(twelve) == len(two), [q["sql"][:90] for q in twelve.captured_queries]


def test_the_page_says_what_is_left_to_answer_then_to_decide(claimed_clip, answer_blind):
    client, slot = claimed_clip
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "1 question to answer from the video first" in page
    answer_blind(client, slot)
    page = client.get(reverse("review-slot", args=[slot.pk])).content.decode()
    assert "2 questions and the caption still to decide" in page
