import re

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from annotation.models import AuditEvent, QAItem
from review.models import Review
from review.scrubber import scrub_view
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)


def settled(card):
    """Wait until htmx has finished swapping the card in (clicks during the swap land on the old one)."""
    expect(card).not_to_have_class(re.compile(r"htmx-(added|settling|swapping|request)"))
    return card


BLIND_KEYS = (("SAD_0001", "y"), ("SAD_0002", "n"), ("FMAR_0001", "c"))


def answer_blind(page):
    """Every question answered from the video with the keyboard; the last answer reloads the page with the keys."""
    for qid, key in BLIND_KEYS:
        card = page.locator("article", has_text=qid)
        if card.locator("form.blind").count():  # not answered yet
            settled(card).press(key)
            expect(page.locator("article", has_text=qid)).to_contain_text("Your answer:")
    expect(page.locator("article", has_text="SAD_0001").get_by_role("button", name="Edit…")).to_be_visible()


def edit(card, question: str):
    """Shift+E for the edit fields (plain e would answer E on a choice card), then type a new question. First
    the page's swaps settle: the last decision's settle moves the focus, and a key pressed meanwhile may land
    on the card htmx is about to replace."""
    expect(card.page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    settled(card).press("Shift+E")
    card.locator("textarea[name=question]").fill(question)
    return card


@pytest.fixture
def clip_in_queue(processed_clip, make_caption, make_item, benchmark, admin_user, annotator, make_user):
    make_caption()
    make_item("SAD_0001", answer="Yes", question="Does the <b>head</b> move down?")
    make_item("SAD_0002", answer="No", question="Does the head move <script>alert(1)</script> left?")
    make_item("FMAR_0001", task="FMAR", answer="B")
    second = make_user("annotator", "second")
    queue = queue_create(
        benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator, second], overlap=2
    )
    return queue, second


def test_an_annotator_steps_frames_and_reviews_a_clip_from_the_keyboard(
    log_in, annotator, clip_in_queue, processed_clip, artifacts
):
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    frame_number, image = page.locator("#frame-number"), page.locator("#frame-image")
    expect(frame_number).to_have_text("0")
    page.locator("body").press(".")
    page.locator("body").press(".")
    page.locator("body").press(".")
    expect(frame_number).to_have_text("3")
    expect(image).to_have_attribute("data-frame", "3")
    page.locator("body").press(",")
    expect(frame_number).to_have_text("2")
    page.locator("body").press("9")  # nine tenths of 0..59
    expect(frame_number).to_have_text("53")
    expect(page.locator("#frame-time")).to_have_text("2.120")  # the decoder's offset of frame 53 at 25 fps
    model_frames = sorted({i for indices in processed_clip.model_view_indices.values() for i in indices})
    assert len(processed_clip.model_view_indices) == 3  # uniform-8, the MAC 2026 protocol, the middle frame
    page.locator("body").press("[")
    expect(frame_number).to_have_text(str(max(i for i in model_frames if i < 53)))
    shown = int(frame_number.inner_text())
    src = image.evaluate("img => img.src")  # absolute
    assert f"/frames/{shown}.jpg" in src
    with default_storage.open(scrub_view(processed_clip).scrub_file(shown), "rb") as stored:
        assert page.request.get(src).body() == stored.read()  # the image on screen is stored frame N itself
    strip = page.locator(".model-frame")
    target = strip.nth(3)
    target.click()
    expect(frame_number).to_have_text(target.get_attribute("data-frame"))

    sad = page.locator("article", has_text="SAD_0001")
    expect(sad).to_contain_text("Does the <b>head</b> move down?")  # machine text stays text
    expect(page.locator("body")).not_to_contain_text("Key:")
    sad.press("y")  # blind answer
    expect(sad).to_contain_text("Your answer: Yes")
    expect(sad).to_contain_text("2 left")  # keys, the caption and models come after every blind answer
    expect(page.locator("#caption-pane")).not_to_contain_text("Nod")
    answer_blind(page)
    expect(sad).to_contain_text("Your answer: Yes · key: Yes")
    sad.press("Enter")  # accept
    expect(sad).to_contain_text("Your decision: Accept")

    fix = page.locator("article", has_text="SAD_0002")
    expect(fix).to_contain_text("<script>alert(1)</script>")
    edit(fix, "Does the head move right?")
    fix.locator("input[name=fix_note]").press("Enter")  # Enter in the fix panel shows the changes, never accepts
    expect(fix.locator(".diff")).to_contain_text("right?")
    expect(fix.locator("del")).to_contain_text("<script>alert(1)</script> left?")
    page.screenshot(path=artifacts / "review-fix-preview.png", full_page=True)
    settled(fix).get_by_role("button", name="Save fix").click()
    expect(page.locator("article", has_text="SAD_0002")).to_contain_text("Your decision: Fix")

    expect(page.locator("article", has_text="FMAR_0001")).to_contain_text("differs")
    fmar = page.locator("article", has_text="FMAR_0001")
    expect(fmar.get_by_role("button", name="Reject…")).to_be_visible()
    fmar.press("x")
    fmar.get_by_label("Wrong key").check()
    fmar.get_by_label("Ambiguous").check()
    fmar.get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator("article", has_text="FMAR_0001")).to_contain_text(
        "Your decision: Reject (Ambiguous, Wrong key)"
    )
    page.screenshot(path=artifacts / "review.png", full_page=True)

    page.locator("article", has_text="FMAR_0001").press("Shift+N")  # Shift+N: Next clip (n is the No answer)
    expect(page.locator(".notice")).to_contain_text("still yours to finish")  # the caption is not decided yet
    reviews = {(r.item.qid, r.decision, tuple(r.reject_reasons)) for r in Review.objects.select_related("item")}
    assert reviews == {
        ("SAD_0001", "accept", ()),
        ("SAD_0002", "fix", ()),
        ("FMAR_0001", "reject", ("ambiguous", "wrong_key")),
    }
    assert Review.objects.get(item__qid="SAD_0001").blind_answer == "Yes"
    edits = AuditEvent.objects.filter(actor_user=annotator, target_kind="qaitem", event_type="edited")
    assert [(e.target_id, e.after) for e in edits] == [
        (QAItem.objects.get(qid="SAD_0002").pk, {"question": "Does the head move right?"})
    ]
    trail = AuditEvent.objects.filter(actor_user=annotator, target_kind="qaitem").values_list("event_type", flat=True)
    assert sorted(trail) == sorted(["blind_answered"] * 3 + ["edited"] + ["reviewed"] * 3)


def test_a_save_over_a_change_made_in_another_browser_gets_the_conflict_view(
    log_in, annotator, clip_in_queue, browser, live_server, artifacts
):
    queue, second = clip_in_queue
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    answer_blind(page)
    card = edit(page.locator("article", has_text="SAD_0001"), "Does the head move up?")

    other = browser.new_context().new_page()  # the second reviewer of this clip (overlap 2), elsewhere
    other.goto(live_server.url + "/")
    other.get_by_label("Username").fill(second.username)
    other.get_by_label("Password").fill("pw-for-tests-1")
    other.get_by_role("button", name="Log in").click()
    other.get_by_role("button", name="Start").click()
    answer_blind(other)
    theirs = edit(other.locator("article", has_text="SAD_0001"), "Does the head dip forward?")
    theirs.get_by_role("button", name="Show changes…").click()
    settled(other.locator("article", has_text="SAD_0001")).get_by_role("button", name="Save fix").click()
    expect(other.locator("article", has_text="SAD_0001")).to_contain_text("Your decision: Fix")

    page.reload()  # the unsaved edit survives a reload (autosaved in this browser)
    card = page.locator("article", has_text="SAD_0001")
    expect(card.locator(".restored")).to_be_visible()
    expect(card.locator("textarea[name=question]")).to_have_value("Does the head move up?")
    card.get_by_role("button", name="Show changes…").click()
    settled(page.locator("article", has_text="SAD_0001")).get_by_role("button", name="Save fix").click()
    conflict = page.locator("article", has_text="SAD_0001").locator(".conflict")
    expect(conflict).to_contain_text("Someone else changed this question")
    expect(conflict).to_contain_text("Does the head dip forward?")
    expect(conflict).to_contain_text("up?")
    page.screenshot(path=artifacts / "conflict.png", full_page=True)
    settled(page.locator("article", has_text="SAD_0001"))
    conflict.get_by_role("button", name="Apply mine on v").click()
    expect(page.locator("article", has_text="SAD_0001")).to_contain_text("Your decision: Fix")
    assert QAItem.objects.get(qid="SAD_0001").question == "Does the head move up?"
