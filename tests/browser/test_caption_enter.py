"""Enter in a caption field never decides (issue 21): with a changed field it saves the fix, with none it says
that nothing changed and sends nothing; an edit the server refuses stays in the form. On the evaluation review
page and on a training corpus's caption-only page, in every single-line input, number input and select."""

import pytest
from playwright.sync_api import expect

from annotation.models import Benchmark, Caption
from annotation.services.content import video_register
from review.models import CaptionReview
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)

SINGLE_LINE = ("dominant_part", "other_parts", "contact", "direction_path", "phase_middle_start", "phase_late_start")
SELECTS = ("coarse_label", "fine_label", "trend")
# one clip each: the field, what is typed or picked, and what the caption then holds
CHANGES = (
    ("dominant_part", "neck", "neck"),
    ("other_parts", "shoulders, torso", ["shoulders", "torso"]),
    ("contact", "chin on the hand", "chin on the hand"),
    ("direction_path", "down, then up", "down, then up"),
    ("phase_middle_start", "12", 12),
    ("phase_late_start", "40", 40),
    ("trend", "single", "single"),
)


@pytest.fixture(params=["evaluation", "corpus"])
def clips_in_queue(request, benchmark, processed_clip, make_caption, make_item, generator, admin_user, annotator):
    """A queue over 1 + len(CHANGES) captioned clips, in clip order: an evaluation benchmark's (one question per
    clip, not blind, so the caption is shown at once) or a training corpus's (captions only)."""
    corpus = request.param == "corpus"
    if corpus:
        Benchmark.objects.filter(pk=benchmark.pk).update(kind="train")
        benchmark.refresh_from_db()
    videos = [processed_clip] + [
        video_register(benchmark=benchmark, clip_name=f"clip_{n:03}", actor=generator)
        for n in range(2, len(CHANGES) + 2)
    ]
    for n, video in enumerate(videos, start=1):
        make_caption(video=video)
        if not corpus:
            make_item(f"SAD_{n:04}", video=video)
    queue_create(
        benchmark=benchmark, name="captions", created_by=admin_user, annotators=[annotator], order="clip", blind=False
    )
    return videos, corpus


def caption_form_ready(page) -> None:
    """The clip's page has loaded with its scripts (they run deferred): a key pressed before would meet the bare
    form."""
    page.wait_for_load_state("load")  # deferred scripts have run by the load event
    expect(page.locator("form.caption-form")).to_be_attached()


def field(page, name: str):
    return page.locator(f"form.caption-form [name={name}]")


def nothing_changed_on_enter(page, name: str) -> None:
    field(page, name).press("Enter")
    expect(page.locator("form.caption-form .enter-note")).to_contain_text("Nothing changed")
    expect(page.locator("#caption-pane")).not_to_contain_text("Your decision")


def change(page, name: str, value: str) -> None:
    if name in SELECTS:
        field(page, name).select_option(value)
    else:
        field(page, name).fill(value)


def autosaved_keys(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('mabench-autosave:'))")


def finish_clip(page, corpus: bool) -> None:
    """The caption is decided; on the evaluation page accept the clip's question too, then take the next clip."""
    if not corpus:
        page.locator("article.question-card").get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator("#slot-progress")).to_contain_text("Clip done")
    page.get_by_role("button", name="Next clip").click()


def test_enter_in_a_caption_field_saves_the_fix_or_nothing_and_never_accepts(log_in, annotator, clips_in_queue):
    videos, corpus = clips_in_queue
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    caption_form_ready(page)
    expect(page.locator("[data-caption-only]")).to_have_count(1 if corpus else 0)

    # Unchanged, Enter in any field (and in the note, and on a reject reason) sends nothing and says so.
    for name in SINGLE_LINE + SELECTS:
        nothing_changed_on_enter(page, name)
    field(page, "reason").fill("looked at every field")
    nothing_changed_on_enter(page, "reason")
    page.locator("form.caption-form summary", has_text="Reject").click()
    page.get_by_label("Wrong fine label").check()
    page.get_by_label("Wrong fine label").press("Enter")
    expect(page.locator("#caption-pane")).not_to_contain_text("Your decision")
    page.get_by_label("Wrong fine label").uncheck()
    # Enter in the description is a new line, not a decision.
    field(page, "description").fill("Nods twice, slowly.")
    field(page, "description").press("Enter")
    expect(field(page, "description")).to_have_value("Nods twice, slowly.\n")
    assert not CaptionReview.objects.exists()

    # A change the server refuses (a coarse label the fine label does not belong to: the picker leaves the fine
    # label unpicked): shown at the field, nothing decided, and the edits are still in the form.
    change(page, "coarse_label", "C")
    field(page, "coarse_label").press("Enter")
    expect(page.locator("#caption-error-fine_label")).to_contain_text("Fine label: pick one")
    expect(field(page, "coarse_label")).to_have_value("C")
    expect(field(page, "description")).to_have_value("Nods twice, slowly.\n")
    assert not CaptionReview.objects.exists() and autosaved_keys(page)

    change(page, "fine_label", "C5")
    field(page, "fine_label").press("Enter")
    expect(page.locator("#caption-pane")).to_contain_text("Your decision: Fix")
    caption = Caption.objects.get(video=videos[0])
    assert (caption.coarse_label, caption.fine_label, caption.description) == ("C", "C5", "Nods twice, slowly.")
    assert autosaved_keys(page) == []  # cleared once saved, not before
    finish_clip(page, corpus)

    # One clip per field: a change, then Enter in that field, is saved as a fix.
    for video, (name, typed, stored) in zip(videos[1:], CHANGES, strict=True):
        expect(page.locator("h1")).to_contain_text(video.clip_name)
        caption_form_ready(page)
        change(page, name, typed)
        field(page, name).press("Enter")
        expect(page.locator("#caption-pane")).to_contain_text("Your decision: Fix")
        assert getattr(Caption.objects.get(video=video), name) == stored, name
        finish_clip(page, corpus)

    decisions = CaptionReview.objects.order_by("caption__video_id").values_list("decision", flat=True)
    assert list(decisions) == ["fix"] * len(videos)  # never an accept


# Runs before the page's own scripts and stops Enter from reaching them: what the browser does by itself.
WITHOUT_ENTER_HANDLER = """window.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.closest && event.target.closest("form.caption-form")) {
    event.stopImmediatePropagation();
  }
}, true);"""


def test_the_browsers_own_enter_submits_the_default_button_which_saves_fixes(log_in, annotator, clips_in_queue):
    """Without the page's Enter handling the browser submits the form with its default button: Save fixes,
    out of sight, never Accept. Unchanged, the server says nothing changed and records nothing."""
    videos, _ = clips_in_queue
    page = log_in(annotator)
    page.add_init_script(WITHOUT_ENTER_HANDLER)
    page.get_by_role("button", name="Start").click()
    caption_form_ready(page)
    field(page, "dominant_part").press("Enter")
    expect(page.locator("#caption-pane .error")).to_contain_text("the fix changes nothing")
    assert not CaptionReview.objects.exists()
    field(page, "phase_middle_start").fill("7")
    field(page, "phase_middle_start").press("Enter")
    expect(page.locator("#caption-pane")).to_contain_text("Your decision: Fix")
    assert Caption.objects.get(video=videos[0]).phase_middle_start == 7
    assert list(CaptionReview.objects.values_list("decision", flat=True)) == ["fix"]
