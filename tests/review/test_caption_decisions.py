"""Caption decisions: the caption's own reject reasons, checked by the service and shown in words; a fix that
changes nothing is refused saying so, never recorded as a decision; Enter in a field cannot accept."""

import re

import pytest
from django.urls import reverse

from annotation.errors import InvalidInput
from annotation.models import AuditEvent, Caption
from review.models import CaptionReview
from review.selectors.history import event_in_words
from review.services.reviews import caption_review_record
from tests.review.test_clip_pane import caption_form, post_caption


def caption_pane(page: str) -> str:
    return re.search(r'<section class="caption-pane.*?</section>', page, re.S).group(0)


def reject(client, slot, caption, reasons, note=""):
    data = {"decision": "reject", "version": caption.version, "reject_reasons": reasons, "reason": note}
    return post_caption(client, slot, data)


def test_the_caption_reject_panel_offers_the_captions_reasons_not_the_questions(answered_clip):
    client, slot = answered_clip
    pane = caption_pane(client.get(reverse("review-slot", args=[slot.pk])).content.decode())
    offered = re.findall(r'name="reject_reasons" value="([a-z_]+)"', pane)
    assert offered == CaptionReview.RejectReason.values
    assert "wrong_key" not in offered and "duplicate_option" not in offered
    assert "Wrong fine label" in pane and "Description wrong or hallucinated" in pane


def test_a_caption_rejection_takes_only_caption_codes_and_other_needs_a_note(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    for reasons in (["wrong_key"], ["duplicate_option"], ["no_such_code"]):
        response = reject(client, slot, caption, reasons)
        assert response.status_code == 400 and "reject_reasons" in response.content.decode()
    bare_other = reject(client, slot, caption, ["other"])
    assert bare_other.status_code == 400 and "needs a note saying what is wrong" in bare_other.content.decode()
    none = reject(client, slot, caption, [])
    assert none.status_code == 400 and "pick at least one" in none.content.decode()
    assert not CaptionReview.objects.exists()

    done = reject(client, slot, caption, ["wrong_phases", "wrong_fine_label", "other"], note="late phase missing")
    page = done.content.decode()
    assert done.status_code == 200
    review = CaptionReview.objects.get()
    assert review.reject_reasons == ["other", "wrong_fine_label", "wrong_phases"]
    assert "(Other (see note), Wrong fine label, Wrong phases or phase timing)" in page  # in words, not codes
    assert "wrong_fine_label" not in caption_pane(page)


def test_the_service_refuses_question_codes_on_a_caption_naming_the_field(answered_clip, annotator):
    _, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    with pytest.raises(InvalidInput, match="unknown code.*wrong_key") as refused:
        caption_review_record(
            slot=slot,
            caption=caption,
            user=annotator,
            decision="reject",
            seen_version=caption.version,
            reject_reasons=["wrong_key"],
        )
    assert refused.value.field == "reject_reasons" and not CaptionReview.objects.exists()


def test_older_caption_reviews_with_question_codes_still_read_in_words(answered_clip, annotator):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    CaptionReview.objects.create(
        slot=slot,
        caption=caption,
        caption_version=caption.version,
        reviewer=annotator,
        stage=slot.queue.stage,
        decision="reject",
        reject_reasons=["wrong_key"],
    )
    pane = caption_pane(client.get(reverse("review-slot", args=[slot.pk])).content.decode())
    assert "Your decision: <b>Reject</b> (Wrong key)" in pane


def test_the_history_words_caption_reasons(db):
    event = AuditEvent(
        event_type=AuditEvent.EventType.REVIEWED,
        target_kind="caption",
        target_id=1,
        after={"decision": "reject", "reject_reasons": ["not_a_micro_action", "wrong_body_parts"]},
    )
    assert event_in_words(event) == "rejected (Not a micro-action, or the clip is unusable, Wrong body parts)"


def test_a_fix_that_changes_nothing_is_refused_saying_so_and_records_nothing(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    events = AuditEvent.objects.count()
    unchanged = post_caption(client, slot, caption_form(caption))
    assert unchanged.status_code == 400 and "the fix changes nothing" in unchanged.content.decode()
    assert "X-Mabench-Saved" not in unchanged  # the browser keeps its autosaved edits
    assert not CaptionReview.objects.exists() and AuditEvent.objects.count() == events
    assert Caption.objects.get(pk=caption.pk).version == caption.version


def test_the_service_refuses_a_fix_whose_fields_hold_their_values_already(answered_clip, annotator):
    _, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    for fix in ({}, {"description": caption.description, "other_parts": list(caption.other_parts)}):
        with pytest.raises(InvalidInput, match="the fix changes nothing") as refused:
            caption_review_record(
                slot=slot, caption=caption, user=annotator, decision="fix", seen_version=caption.version, fix=fix
            )
        assert refused.value.field == "fix"
    assert not CaptionReview.objects.exists() and Caption.objects.get(pk=caption.pk).version == caption.version


def test_the_caption_forms_default_button_saves_fixes(answered_clip):
    """Enter in a field submits a form with its first submit button: it must never be Accept (no JavaScript
    needed for that)."""
    client, slot = answered_clip
    pane = caption_pane(client.get(reverse("review-slot", args=[slot.pk])).content.decode())
    form = pane[pane.index('<form class="caption-form"') :]
    first = re.search(r'<button type="submit" name="decision" value="(\w+)"', form).group(1)
    assert first == "fix"
    assert 'value="accept"' in form  # Accept is still there, after it


def test_the_decided_pane_shows_every_field_of_the_caption(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    fixed = post_caption(client, slot, caption_form(caption, contact="palm on the table", direction_path="leftward"))
    pane = caption_pane(fixed.content.decode())
    assert fixed.status_code == 200 and "Your decision: <b>Fix</b>" in pane
    assert "palm on the table" in pane and "leftward" in pane
