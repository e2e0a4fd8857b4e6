"""The fast caption-verification path of a training corpus, from the keyboard."""

import pytest
from playwright.sync_api import expect

from annotation.models import Benchmark, Caption
from annotation.services.content import video_register
from review.models import CaptionReview
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_annotator_verifies_corpus_captions_with_frame_set_phase_starts(
    log_in, annotator, admin_user, benchmark, processed_clip, make_caption, generator
):
    Benchmark.objects.filter(pk=benchmark.pk).update(kind="train")  # the benchmark fixture, as a training corpus
    make_caption()
    second = video_register(benchmark=benchmark, clip_name="clip_002", actor=generator)
    make_caption(video=second)
    benchmark.refresh_from_db()
    queue_create(benchmark=benchmark, name="captions", created_by=admin_user, annotators=[annotator], order="clip")

    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    for _ in range(20):
        page.locator("body").press(".")
    expect(page.locator("#frame-number")).to_have_text("20")
    page.get_by_role("button", name="set from current frame").first.click()
    expect(page.get_by_label("middle phase starts at frame")).to_have_value("20")
    page.get_by_role("button", name="Save fixes").click()
    expect(page.locator("#caption-pane")).to_contain_text("Your decision: Fix")
    assert Caption.objects.get(video=processed_clip).phase_middle_start == 20

    page.locator("body").press("Shift+N")  # next clip
    expect(page.locator("h1")).to_contain_text("clip_002")
    page.locator("body").press("Enter")  # accept the caption as it is
    expect(page.locator("#caption-pane")).to_contain_text("Your decision: Accept")
    assert sorted(CaptionReview.objects.values_list("decision", flat=True)) == ["accept", "fix"]
