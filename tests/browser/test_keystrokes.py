"""The keyboard path costs what issue 19 asks: every key pressed on a demo-like clip is counted, with the focus
where the page puts it (no Tab anywhere). A blind closed question costs 2 keys (answer, accept), one without a
blind answer 1 (Enter), a reject with its first reason 3 (x, 1, Enter), the caption 1 (Enter). n answers No
on a yes/no card and claims nothing; u undoes the last decision, which can then be decided anew."""

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from annotation.models import AuditEvent
from annotation.services.content import video_register
from review.models import CaptionReview, QueueSlot, Review
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)

BLIND = {"SAD_0001": "y", "SAD_0002": "n", "FMAR_0001": "b"}
FOCUSED_CARD = ".question-card:focus, #caption-pane:focus"
SIZES = {"phone": (390, 844), "tablet": (1024, 768), "desktop": (1440, 900)}  # as test_screen_sizes.py


@pytest.fixture
def demo_like_queue(processed_clip, make_caption, make_item, benchmark, admin_user, annotator, generator):
    """A demo-like clip (caption; yes/no, choice and open questions) and a second clip, in a blind queue."""
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("SAD_0002", answer="No", question="Does the head move left?")
    make_item("FMAR_0001", task="FMAR", answer="B")
    make_item("MARE_0001", task="MARE", answer="Agreement, shown by nodding.", question="Why does the person nod?")
    second = video_register(benchmark=benchmark, clip_name="clip_002", actor=generator)
    make_item("SAD_0003", video=second)
    return queue_create(
        benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator], order="clip"
    )


def settled(page):
    """The page has loaded with its deferred scripts, htmx is not swapping, and a card has the focus."""
    page.wait_for_load_state("load")
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    focused = page.locator(FOCUSED_CARD)
    expect(focused).to_have_count(1)
    in_view_beside_the_player(page, focused)
    return focused


def in_view_beside_the_player(page, focused) -> None:
    """The focused card's top is on screen, not under the sticky player, and the frame is on screen too."""
    height = page.viewport_size["height"]
    card, frame = focused.bounding_box(), page.locator("#frame-image").bounding_box()
    head = page.locator(".player-head").bounding_box()
    assert frame["y"] >= -1 and frame["y"] + frame["height"] <= height + 1, f"the frame is off screen: {frame}"
    assert 0 <= card["y"] < height - 40, f"the focused card is off screen: {card}"
    if head["y"] + head["height"] > card["y"] + 1 and head["x"] + head["width"] > card["x"]:  # one column
        raise AssertionError(f"the focused card {card} is under the player {head}")


def focused_name(page) -> str:
    focused = settled(page)
    if focused.get_attribute("id") == "caption-pane":
        return "caption"
    return re.search(r"[A-Z]+_\d{4}", focused.locator("header").inner_text()).group(0)


@pytest.mark.parametrize("size", SIZES)
def test_a_whole_clip_costs_the_keys_issue_19_names(page, log_in, annotator, demo_like_queue, artifacts, size):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    keys: Counter[str] = Counter()

    def press(name: str, *sequence: str) -> None:
        for key in sequence:
            page.keyboard.press(key)  # to whatever has the focus: the page put it there
            keys[name] += 1

    # blind phase: the focus is on the first question to answer, then moves on after each answer
    for _ in BLIND:
        name = focused_name(page)
        assert name in BLIND, f"the focus is on {name}, not on a question to answer from the video"
        press(name, BLIND[name])
        if name == "SAD_0002":  # n is the No answer here, never Next clip
            expect(page.locator("article", has_text="SAD_0002")).to_contain_text("Your answer: No")
            assert QueueSlot.objects.filter(claimed_by=annotator).count() == 1
            assert "clip_002" not in page.locator("h1").inner_text()
        expect(page.locator("article", has_text=name)).to_contain_text("Your answer:")
    expect(page.locator("#caption-pane form.caption-form")).to_be_attached()  # revealed: the page reloaded

    decided = set()
    while len(decided) < 5:
        name = focused_name(page)
        assert name not in decided, f"the focus went back to {name}, decided already"
        if name == "SAD_0002":
            press(name, "x", "1", "Enter")
            expected = "Your decision: Reject (Wrong key)"
        else:
            press(name, "Enter")
            expected = "Your decision: Accept"
        target = page.locator("#caption-pane") if name == "caption" else page.locator("article", has_text=name)
        expect(target).to_contain_text(expected)
        decided.add(name)
        if len(decided) < 5:
            expect(page.locator(FOCUSED_CARD).filter(has_not_text="Your decision")).to_have_count(1)

    expect(page.locator("#slot-progress")).to_contain_text("Clip done")
    expect(page.locator("#next-clip")).to_be_focused()
    page.screenshot(path=artifacts / f"keystrokes-clip-done-{size}.png", full_page=True)
    assert keys == {
        "SAD_0001": 2,  # y, Enter
        "SAD_0002": 1 + 3,  # n (blind answer), then x, 1, Enter
        "FMAR_0001": 2,  # b, Enter
        "MARE_0001": 1,  # an open question has no blind answer: Enter
        "caption": 1,  # Enter
    }
    reviews = {(r.item.qid, r.decision, tuple(r.reject_reasons)) for r in Review.objects.select_related("item")}
    assert reviews == {
        ("SAD_0001", "accept", ()),
        ("SAD_0002", "reject", ("wrong_key",)),
        ("FMAR_0001", "accept", ()),
        ("MARE_0001", "accept", ()),
    }
    assert list(CaptionReview.objects.values_list("decision", flat=True)) == ["accept"]
    assert QueueSlot.objects.get(claimed_by=annotator, completed_at__isnull=False)


@pytest.fixture
def open_clip(processed_clip, make_caption, make_item, benchmark, admin_user, annotator):
    """A clip in a queue that is not blind: keys and caption are shown at once."""
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("SAD_0002", answer="No", question="Does the head move left?")
    return queue_create(benchmark=benchmark, name="open", created_by=admin_user, annotators=[annotator], blind=False)


def test_a_closed_question_without_a_blind_answer_costs_one_key_and_u_undoes_it(log_in, annotator, open_clip):
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    first = page.locator("article", has_text="SAD_0001")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")  # one key: accept
    expect(first).to_contain_text("Your decision: Accept")
    second = page.locator("article", has_text="SAD_0002")
    expect(second).to_be_focused()  # the focus moved on by itself

    page.keyboard.press("u")  # undo the last decision: the page comes back with the card to decide again
    expect(page.locator(".notice")).to_contain_text("Undone: your accept of SAD_0001")
    expect(first).to_be_focused()
    expect(first.get_by_role("button", name="Accept", exact=True)).to_be_visible()
    assert not Review.objects.exists()
    assert AuditEvent.objects.filter(event_type="review_undone", actor_user=annotator).count() == 1
    page.keyboard.press("u")  # nothing left to undo: refused, said on the page, the focus stays
    expect(page.locator("#command-error")).to_contain_text("nothing to undo")
    expect(first).to_be_focused()

    # Esc closes an open reject form and gives the focus back to the card; ? shows the keymap, Esc closes it
    page.keyboard.press("x")
    expect(first.locator("fieldset.reject")).to_be_visible()
    page.keyboard.press("Escape")
    expect(first.locator("fieldset.reject")).to_be_hidden()
    expect(first).to_be_focused()
    page.keyboard.press("?")
    expect(page.locator("#keymap")).to_be_visible()
    expect(page.locator("#keymap")).to_contain_text("undo your last decision")
    page.keyboard.press("Escape")
    expect(page.locator("#keymap")).to_be_hidden()
    page.keyboard.press("j")
    expect(second).to_be_focused()
    page.keyboard.press("k")
    expect(first).to_be_focused()

    page.keyboard.press("x")
    page.keyboard.press("2")
    page.keyboard.press("Enter")  # decided anew: a reject, for the second reason
    expect(first).to_contain_text("Your decision: Reject (Ambiguous)")
    assert [(r.decision, r.reject_reasons) for r in Review.objects.all()] == [("reject", ["ambiguous"])]
