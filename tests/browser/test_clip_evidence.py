"""The clip view and the adjudication page in Chromium: a reviewer opens a clip from the benchmark page and steps
its frames; an admin watches a disputed question's clip on the adjudication page and settles it there."""

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from annotation.models import Caption, QAItem
from review.scrubber import scrub_view
from review.services.blind_answers import blind_answer_record
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import caption_review_record, review_record

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_opens_a_clip_from_the_benchmark_page_and_steps_its_frames(
    log_in, reviewer, processed_clip, make_caption, make_item, artifacts
):
    make_caption(description="Nods <b>twice</b>")
    make_item("SAD_0001", answer="Yes", question="Does the <b>head</b> move down?")
    page = log_in(reviewer)
    page.get_by_role("link", name="Test bench").click()
    page.locator("#items").get_by_role("link", name="clip_001").click()
    expect(page.get_by_role("heading", name="clip_001")).to_be_visible()
    card = page.locator("article", has_text="SAD_0001")
    expect(card).to_contain_text("Key: Yes")
    expect(card).to_contain_text("Does the <b>head</b> move down?")  # machine text stays text
    expect(page.locator("#caption-pane")).to_contain_text("Nods <b>twice</b>")
    frame_number, image = page.locator("#frame-number"), page.locator("#frame-image")
    expect(frame_number).to_have_text("0")
    page.locator("body").press(".")
    page.locator("body").press(".")
    expect(frame_number).to_have_text("2")
    expect(image).to_have_attribute("data-frame", "2")
    target = page.locator(".model-frame").nth(2)
    target.click()
    shown = target.get_attribute("data-frame")
    expect(frame_number).to_have_text(shown)
    src = image.evaluate("img => img.src")
    assert f"/clips/{processed_clip.pk}/frames/{shown}.jpg" in src
    with default_storage.open(scrub_view(processed_clip).scrub_file(int(shown)), "rb") as stored:
        assert page.request.get(src).body() == stored.read()  # the stored frame N itself, on the clip's own URL
    card.locator("summary", has_text="History").click()
    expect(card).to_contain_text("created as version 1")
    page.screenshot(path=artifacts / "clip-view.png", full_page=True)


@pytest.fixture
def two_disputes(processed_clip, make_caption, make_item, benchmark, admin_user, make_user):
    """Two questions of the processed clip that two annotators answered differently from the video."""
    caption = make_caption()
    items = [make_item("SAD_0001", answer="Yes"), make_item("FMAR_0001", task="FMAR", answer="A")]
    people = [make_user("annotator", "ann1"), make_user("annotator", "ann2")]
    queue = queue_create(benchmark=benchmark, name="pass", created_by=admin_user, overlap=2, annotators=people)
    for person, answers in zip(people, (("Yes", "A"), ("No", "B")), strict=True):
        slot = claim_next(queue=queue, user=person)
        for item, answer in zip(items, answers, strict=True):
            blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=person, answer=answer)
        for item in items:
            item = QAItem.objects.get(pk=item.pk)
            review_record(slot=slot, item=item, user=person, decision="accept", seen_version=item.version)
        caption = Caption.objects.get(pk=caption.pk)
        caption_review_record(slot=slot, caption=caption, user=person, decision="accept", seen_version=caption.version)
    assert set(QAItem.objects.values_list("review_status", flat=True)) == {"needs_adjudication"}
    return items


def test_an_admin_watches_the_clip_on_the_adjudication_page_and_rejects_with_reasons(
    log_in, admin_user, two_disputes, processed_clip, artifacts
):
    page = log_in(admin_user)
    page.get_by_role("link", name="Adjudication").click()
    expect(page.locator("#adjudication-count")).to_have_text("2 questions await a decision.")
    expect(page.locator("#frame-image")).to_have_count(0)  # no player until one is asked for
    card = page.locator("article", has_text="FMAR_0001")
    expect(card.locator("table.reviews")).to_contain_text("ann1")
    expect(card.locator("table.reviews")).to_contain_text("ann2")
    card.get_by_role("button", name="Watch the clip").click()
    player = page.locator("#evidence-player")
    expect(player.locator("#frame-number")).to_have_text("0")
    expect(player.locator("#scrubber")).to_have_attribute("data-mounted", "true")  # its script has run
    page.locator("body").press(".")
    expect(player.locator("#frame-number")).to_have_text("1")
    expect(player.locator("#frame-image")).to_have_attribute("data-frame", "1")
    player.locator(".model-frame").nth(1).click()
    expect(player.locator("#frame-number")).to_have_text(player.locator(".model-frame").nth(1).inner_text())

    card.locator("summary", has_text="Caption").click()
    expect(card).to_contain_text("The person nods twice.")
    card.locator("summary", has_text="Reject…").click()
    card.get_by_label("Wrong key").check()
    card.get_by_role("textbox", name="Note").fill("B is what the clip shows")
    card.get_by_role("button", name="Reject", exact=True).click()
    decided = page.locator("article", has_text="FMAR_0001")
    expect(decided).to_contain_text("Adjudicated by admin")
    expect(decided).to_contain_text("Rejected (Wrong key).")
    expect(decided).to_contain_text("Note: B is what the clip shows")
    expect(page.locator("#adjudication-count")).to_have_text("1 question awaits a decision.")
    expect(player.locator("#frame-number")).to_have_text(player.locator(".model-frame").nth(1).inner_text())
    page.screenshot(path=artifacts / "adjudication.png", full_page=True)
    assert QAItem.objects.get(pk=two_disputes[1].pk).review_status == "rejected"
