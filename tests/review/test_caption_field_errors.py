"""A refused caption save shows each problem beside its field, in words and with the field's label (never the
raw field name), the field marked invalid and described by it; what names no field stays above the form."""

import re

from annotation.models import Caption
from review.models import CaptionReview
from tests.review.test_clip_pane import caption_form, field_error, post_caption


def control(page: str, name: str) -> str:
    """The opening tag of the form control named ``name``."""
    return re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', page).group(0)


def top_errors(page: str) -> list[str]:
    return re.findall(r'<p class="error[^"]*" role="alert">(.*?)</p>', page, re.S)


def test_a_fine_label_of_another_category_is_shown_at_the_fine_label(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    response = post_caption(client, slot, caption_form(caption, fine_label="C5", description="Nods, then waves."))
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(response, "fine_label") == (
        f"Fine label: C5 Waving belongs to coarse category C, not {caption.coarse_label}"
    )
    fine = control(page, "fine_label")
    assert 'aria-invalid="true"' in fine and 'aria-describedby="caption-error-fine_label"' in fine
    assert "aria-invalid" not in control(page, "coarse_label") and "aria-invalid" not in control(page, "description")
    assert "fine_label:" not in page  # no raw field name anywhere
    assert top_errors(page) == ["Not saved: check Fine label (the problem is shown at the field)."]
    # what the person posted is still in the form, beside its error
    assert '<option value="C5" data-coarse="C" selected>' in page and ">Nods, then waves.</textarea>" in page
    assert "data-unsaved" in page
    assert not CaptionReview.objects.exists() and Caption.objects.get(pk=caption.pk).version == caption.version


def test_each_of_two_bad_fields_gets_its_own_error_and_the_fix_form_names_the_frame_fields(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    response = post_caption(client, slot, caption_form(caption, phase_middle_start="-4", phase_late_start="x"))
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(response, "phase_middle_start") == "Middle phase start frame: a frame index (0 or more)"
    assert field_error(response, "phase_late_start") == "Late phase start frame: a frame index (0 or more)"
    assert 'aria-describedby="caption-error-phase_late_start"' in control(page, "phase_late_start")
    assert top_errors(page) == [
        "Not saved: check Middle phase start frame, Late phase start frame (the problem is shown at the field)."
    ]


def test_markup_in_a_text_field_and_an_unpicked_fine_label_are_said_at_those_fields(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    markup = post_caption(client, slot, caption_form(caption, contact="<b>palm</b>"))
    assert markup.status_code == 400 and field_error(markup, "contact").startswith("Contact: ")
    unpicked = post_caption(client, slot, caption_form(caption, fine_label=""))
    assert field_error(unpicked, "fine_label") == "Fine label: pick one of the coarse label's fine labels"


def test_a_rejection_without_reasons_is_said_at_the_reasons_and_other_without_a_note_at_the_note(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    bare = post_caption(client, slot, {"decision": "reject", "version": caption.version})
    page = bare.content.decode()
    assert bare.status_code == 400 and field_error(bare, "reject_reasons") == "Reject reasons: pick at least one"
    assert "<details data-reject-panel open>" in page  # the reasons are open, beside their error
    other = post_caption(client, slot, {"decision": "reject", "version": caption.version, "reject_reasons": "other"})
    assert field_error(other, "reason") == "Note: 'other' needs a note saying what is wrong"
    assert 'aria-describedby="caption-error-reason"' in control(other.content.decode(), "reason")


def test_what_names_no_field_stays_above_the_form(answered_clip):
    client, slot = answered_clip
    caption = Caption.objects.get(video=slot.video)
    unchanged = post_caption(client, slot, caption_form(caption))
    page = unchanged.content.decode()
    assert unchanged.status_code == 400 and 'class="field-error' not in page and "aria-invalid" not in page
    [top] = top_errors(page)
    assert top.startswith("the fix changes nothing")


def test_a_missing_version_is_said_above_the_form_in_words(answered_clip):
    client, slot = answered_clip
    response = post_caption(client, slot, {"decision": "accept"})
    assert response.status_code == 400
    assert top_errors(response.content.decode()) == ["Version: missing: send the version you saw (reload the page)"]
