"""Evidence spans in the browser (issue 17, point 5): in a blind queue an annotator answers from the video,
then marks the frames that show the answer with the keyboard (i at one frame, step frames, o at another),
sees the span drawn on the scrubber, and accepts; an admin cuts a release, and its jsonl export's
provenance names the span."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotation.models import QAItem, Release
from review.models import Review
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def one_question(processed_clip, make_item, benchmark, admin_user, annotator):
    """The processed clip (60 frames at 25 fps) with one yes/no question and no caption, in a blind queue."""
    item = make_item("SAD_0001", answer="Yes", question="Does the head move down?")
    queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])
    return item


def test_a_span_marked_with_the_keyboard_reaches_the_release_provenance(
    log_in, annotator, admin_user, one_question, browser, live_server, artifacts
):
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    card = page.locator("article", has_text="SAD_0001")
    expect(card.locator("[data-span-mark]")).to_have_count(0)  # nothing of the decision before the blind answer
    card.press("y")  # the last blind answer reloads the page with the key and the decision form
    card = page.locator("article", has_text="SAD_0001")
    expect(card.get_by_role("button", name="Mark in")).to_be_visible()

    frame = page.locator("#frame-number")
    for _ in range(5):
        card.press(".")
    expect(frame).to_have_text("5")
    card.press("i")
    readout = card.locator(".span-readout")
    expect(readout).to_have_text("from frame 5: mark out (o)")
    for _ in range(10):
        card.press(".")
    expect(frame).to_have_text("15")
    card.press("o")
    expect(readout).to_have_text("frames 5–15 (11 frames, 0.200 s – 0.600 s)")  # the decoder's offsets at 25 fps
    band = page.locator("#scrubber .evidence-band")
    expect(band).to_be_visible()
    left, width = band.evaluate("b => [parseFloat(b.style.left), parseFloat(b.style.width)]")
    assert left == pytest.approx(100 * 5 / 59, abs=1e-3) and width == pytest.approx(100 * 10 / 59, abs=1e-3)
    page.screenshot(path=artifacts / "evidence-span-marked.png", full_page=True)

    card.get_by_role("button", name="Clear").click()  # Clear drops both ends; mark them again from the keyboard
    expect(readout).to_have_text("none marked")
    expect(band).to_be_hidden()
    for _ in range(10):
        card.press(",")
    card.press("i")
    for _ in range(10):
        card.press(".")
    card.press("o")
    expect(readout).to_have_text("frames 5–15 (11 frames, 0.200 s – 0.600 s)")
    expect(band).to_be_visible()

    card.press("Enter")  # accept, with the span
    expect(page.locator("article", has_text="SAD_0001")).to_contain_text("Your evidence span: frames 5–15")
    review = Review.objects.get()
    assert (review.decision, review.evidence_start_frame, review.evidence_end_frame) == ("accept", 5, 15)
    assert QAItem.objects.get().review_status == "accepted"  # the clip's one question: the clip is done

    admin = browser.new_context(accept_downloads=True).new_page()
    admin.goto(live_server.url + "/")
    admin.get_by_label("Username").fill(admin_user.username)
    admin.get_by_label("Password").fill("pw-for-tests-1")
    admin.get_by_role("button", name="Log in").click()
    admin.get_by_role("link", name="Test bench").click()
    admin.get_by_role("link", name="Releases →").click()
    expect(admin.locator("#ready")).to_be_visible()
    admin.get_by_label("Tag").fill("v1.0")
    admin.get_by_role("button", name="Cut the release").click()
    release = Release.objects.get()
    with admin.expect_download() as download:
        admin.locator(f"#release-{release.pk}").get_by_role("link", name="jsonl", exact=True).click()
    [row] = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    [span] = row["provenance"]["evidence_spans"]
    assert (row["qid"], span["by"], span["start_frame"], span["end_frame"], span["decision"]) == (
        "SAD_0001",
        "annotator",
        5,
        15,
        "accept",
    )
    assert re.match(r"\d{4}-\d\d-\d\dT", span["at"])
