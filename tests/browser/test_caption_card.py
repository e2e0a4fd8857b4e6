"""The caption as a card of its own beside the questions (issue 19): the player stays on screen while the caption
is worked through, the fine-label picker offers the chosen coarse label's fine labels only, a refused save is
said at the field, and the caption decided last tells the page the clip is done, without a reload."""

import pytest
from playwright.sync_api import expect

from annotation.domain.taxonomy import fine_labels_of
from annotation.models import Caption
from review.models import CaptionReview
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture
def open_clip(processed_clip, make_caption, make_item, benchmark, admin_user, annotator):
    """A captioned clip with two questions in a queue that is not blind: the caption is there at once."""
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("FMAR_0001", task="FMAR", answer="B")
    queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator], blind=False)
    return processed_clip


@pytest.fixture
def blind_clip(processed_clip, make_caption, make_item, benchmark, admin_user, annotator):
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("SAD_0002", answer="No")
    queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])
    return processed_clip


def start(page):
    page.get_by_role("button", name="Start").click()
    page.wait_for_load_state("domcontentloaded")  # the deferred scripts have run (the frames may still load)
    expect(page.locator("form.caption-form")).to_be_attached()


def field(page, name: str):
    return page.locator(f"form.caption-form [name={name}]")


def offered_fine_labels(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelector('form.caption-form [name=fine_label]').options]
            .filter(o => o.value && !o.hidden && !o.disabled && !o.parentElement.hidden).map(o => o.value)"""
    )


def codes(coarse: str) -> list[str]:
    return [fine.code for fine in fine_labels_of(coarse)]


def test_the_fine_picker_offers_only_the_fine_labels_of_the_coarse_label(log_in, annotator, open_clip):
    page = log_in(annotator)
    start(page)
    assert offered_fine_labels(page) == codes("B")
    field(page, "coarse_label").select_option("C")
    assert offered_fine_labels(page) == codes("C")
    expect(field(page, "fine_label")).to_have_value("")  # B1 is no fine label of C: not silently replaced
    field(page, "fine_label").select_option("C5")
    field(page, "coarse_label").select_option("D")
    assert offered_fine_labels(page) == codes("D")
    field(page, "coarse_label").select_option("C")
    field(page, "fine_label").select_option("C5")
    page.get_by_role("button", name="Save fixes", exact=True).click()
    expect(page.locator("#caption-pane")).to_contain_text("Your decision: Fix")
    caption = Caption.objects.get(video=open_clip)
    assert (caption.coarse_label, caption.fine_label) == ("C", "C5")


def test_a_refused_caption_fix_shows_its_error_at_the_field(log_in, annotator, open_clip):
    page = log_in(annotator)
    start(page)
    field(page, "contact").fill("<b>palm</b> on the chin")
    page.get_by_role("button", name="Save fixes", exact=True).click()
    error = page.locator("#caption-error-contact")
    expect(error).to_contain_text("Contact: ")
    contact = field(page, "contact")
    expect(contact).to_have_attribute("aria-invalid", "true")
    expect(contact).to_have_attribute("aria-describedby", "caption-error-contact")
    expect(contact).to_be_focused()  # the person lands on the field to correct
    expect(contact).to_have_value("<b>palm</b> on the chin")
    expect(page.locator("#caption-pane p.error")).to_have_text(
        "Not saved: check Contact (the problem is shown at the field)."
    )
    expect(page.locator("#caption-pane")).not_to_contain_text("contact:")

    # the coarse label changed under its fine label: the picker leaves it unpicked and the server says so there
    contact.fill("palm on the chin")
    field(page, "coarse_label").select_option("C")
    page.get_by_role("button", name="Save fixes", exact=True).click()
    expect(page.locator("#caption-error-fine_label")).to_have_text(
        "Fine label: pick one of the coarse label's fine labels"
    )
    expect(field(page, "fine_label")).to_be_focused()
    expect(page.locator("#caption-error-contact")).to_have_count(0)
    field(page, "fine_label").select_option("C5")
    page.get_by_role("button", name="Save fixes", exact=True).click()
    expect(page.locator("#caption-pane")).to_contain_text("Your decision: Fix")
    caption = Caption.objects.get(video=open_clip)
    assert (caption.coarse_label, caption.fine_label, caption.contact) == ("C", "C5", "palm on the chin")


def boxes(page) -> dict:
    return page.evaluate(
        """() => { const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
            const focused = document.activeElement;
            return {frame: box(document.querySelector('#frame-image')), head: box(document.querySelector('.player-head')),
                    focused: box(focused), name: focused.name || focused.id || focused.textContent.trim().slice(0, 20),
                    inCaption: !!focused.closest('#caption-card'),
                    width: [document.documentElement.scrollWidth, window.innerWidth]}; }"""
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_player_stays_on_screen_while_tabbing_through_the_caption(
    browser, live_server, annotator, open_clip, artifacts, size
):
    width, height = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=phone, is_mobile=phone)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(annotator.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    start(page)

    page.locator("#caption-pane").focus()
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        at = boxes(page)
        if not at["inCaption"]:
            break
        seen.append(at["name"])
        if at["name"] == "description":
            page.screenshot(path=artifacts / f"caption-card-{size}-{width}x{height}.png")
        frame, focused = at["frame"], at["focused"]
        assert frame[1] >= 0 and frame[3] <= height, f"{size}: at {at['name']} the frame sits at {frame}"
        if at["name"] == "caption-pane":  # the card itself, taller than the screen: its top in view
            assert 0 <= focused[1] < height, f"{size}: the caption card at {focused}"
        elif focused[3] - focused[1] > 2:  # laid out (not the caption form's 1 px default button, out of sight)
            assert focused[3] <= height + 1 and focused[1] >= 0, f"{size}: {at['name']} at {focused}"
        if phone and focused[3] - focused[1] > 2:
            assert focused[1] >= at["head"][3] - 1, f"{at['name']} at {focused} under the player {at['head']}"
        assert at["width"][0] <= at["width"][1], f"{size}: the page pans sideways at {at['name']}"
    assert {"coarse_label", "fine_label", "description", "reason"} <= set(seen), seen
    assert page.evaluate("() => window.scrollY") > 0  # the caption did scroll: the player stayed regardless
    assert refused == []
    context.close()


def test_deciding_the_caption_last_tells_the_page_the_clip_is_done(log_in, annotator, blind_clip):
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    for qid in ("SAD_0001", "SAD_0002"):  # blind answers; the last one reloads the page with the keys
        page.locator("article", has_text=qid).locator("form.blind button").first.click()
        expect(page.locator("article", has_text=qid)).to_contain_text("Your answer:")
    for qid in ("SAD_0001", "SAD_0002"):
        card = page.locator("article", has_text=qid)
        expect(card.get_by_role("button", name="Accept", exact=True)).to_be_visible()
        card.get_by_role("button", name="Accept", exact=True).click()
        expect(page.locator("article", has_text=qid)).to_contain_text("Your decision: Accept")
    expect(page.locator("#slot-progress")).to_have_text("0 questions and the caption still to decide")
    page.get_by_role("button", name="Next clip").click()  # the caption is not decided: the clip is handed back
    banner = page.locator(".notice", has_text="still yours to finish")
    expect(banner).to_be_visible()

    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_role("button", name="Accept caption").click()
    expect(page.locator("#caption-pane")).to_contain_text("Your decision: Accept")
    expect(page.locator("#slot-progress")).to_contain_text("Clip done")
    expect(banner).to_have_count(0)
    assert page.evaluate("() => window.notReloaded") is True
    assert list(CaptionReview.objects.values_list("decision", flat=True)) == ["accept"]
