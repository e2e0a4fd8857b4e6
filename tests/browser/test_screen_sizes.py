"""The review page at a phone, a tablet and a desktop size: no sideways scroll, the player in view beside the last
question, touch targets of 44 px on the phone, answers by tapping. Screenshots land in the test artifacts."""

import pytest
from playwright.sync_api import expect

from review.models import User
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": (390, 844), "tablet": (1024, 768), "desktop": (1440, 900)}
UNBROKEN = "left_" * 30  # a machine-written token with no break in it: it must wrap, not widen the page


@pytest.fixture
def demo_like_clip(processed_clip, make_caption, make_item, benchmark, admin_user, make_user):
    """A demo-like clip: a caption, yes/no and choice questions, one with a long unbroken word; three people."""
    make_caption(description=f"The person nods twice, {UNBROKEN}.")
    make_item("SAD_0001", answer="Yes")
    make_item("SAD_0002", answer="No", question=f"Does the head move {UNBROKEN}?")
    make_item("FMAR_0001", task="FMAR", answer="B")
    make_item("MAD_0001", task="MAD", answer="Yes", question="Does the head dip and then rise?")
    make_item("MARE_0001", task="MARE", answer="Agreement, shown by nodding.", question="Why does the person nod?")
    people = [make_user(User.Role.ANNOTATOR, size) for size in SIZES]
    queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=people, overlap=3)
    return {person.username: person for person in people}


@pytest.fixture
def open_page(browser, live_server):
    """A logged-in page in a browser context of its own size (touch and a mobile viewport on the phone)."""
    contexts = []

    def open_at(user, *, width: int, height: int, phone: bool):
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=phone, is_mobile=phone)
        contexts.append(context)
        return log_in(context.new_page(), live_server, user)

    yield open_at
    for context in contexts:
        context.close()


def log_in(page, live_server, user):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    return page, refused


def overflow(page) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def small_buttons(page) -> list:
    """Visible buttons (links and summaries used as buttons, and the labels of reject reason boxes) under 44 px
    tall; the caption form's hidden default button (1 px, aria-hidden: it only makes Enter save fixes) is no
    touch target."""
    return page.evaluate(
        """() => [...document.querySelectorAll('button, a.button, summary, label.check')]
            .filter(el => !el.classList.contains('enter-default') && el.checkVisibility())
            .map(el => [el.textContent.trim(), Math.round(el.getBoundingClientRect().height)])
            .filter(([, h]) => h < 44)"""
    )


def tap_or_click(page, locator, phone: bool):
    if phone:
        locator.tap()
    else:
        locator.click()


@pytest.mark.parametrize("size", SIZES)
def test_the_review_page_fits_each_screen_with_the_player_in_view(open_page, demo_like_clip, artifacts, size):
    width, height = SIZES[size]
    phone = size == "phone"
    page, refused = open_page(demo_like_clip[size], width=width, height=height, phone=phone)
    assert overflow(page)[0] <= overflow(page)[1], f"home: {overflow(page)}"
    tap_or_click(page, page.get_by_role("button", name="Start"), phone)
    expect(page.locator("#frame-image")).to_be_visible()
    page.screenshot(path=artifacts / f"screen-{size}-{width}x{height}-blind.png")
    assert overflow(page)[0] <= overflow(page)[1], f"blind page: {overflow(page)}"
    if phone:
        assert small_buttons(page) == []

    for qid in ("SAD_0001", "SAD_0002", "FMAR_0001", "MAD_0001"):  # answer from the video, by tapping on the phone
        card = page.locator("article", has_text=qid)
        expect(card.locator("form.blind")).to_be_visible()
        tap_or_click(page, card.locator("form.blind button").first, phone)
        expect(page.locator("article", has_text=qid)).to_contain_text("Your answer:")
    expect(page.locator("article", has_text="SAD_0001").get_by_role("button", name="Edit…")).to_be_visible()

    page.screenshot(path=artifacts / f"screen-{size}-{width}x{height}.png")
    page.screenshot(path=artifacts / f"screen-{size}-{width}x{height}-full.png", full_page=True)
    scroll_width, inner_width = overflow(page)
    assert scroll_width <= inner_width, f"{size}: the page is {scroll_width} px wide in a {inner_width} px window"
    if phone:
        assert small_buttons(page) == []
        questions = page.evaluate("() => document.querySelector('.question-pane').getBoundingClientRect().width")
        assert questions >= inner_width - 40  # one column: the questions take the width

    page.evaluate(
        "() => { const cards = document.querySelectorAll('article.question-card:not([hidden])');"
        " cards[cards.length - 1].scrollIntoView({block: 'end'}); }"
    )
    player, head, last = page.evaluate(
        """() => { const cards = document.querySelectorAll('article.question-card:not([hidden])');
            const box = el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom]; };
            return [box(document.querySelector('#frame-image')), box(document.querySelector('.player-head')),
                    box(cards[cards.length - 1])]; }"""
    )
    assert page.evaluate("() => window.scrollY") > 0  # the page did scroll to the last card
    assert player[0] >= 0 and player[1] <= height, f"{size}: the frame sits at {player} in a {height} px window"
    assert last[1] <= height + 1  # the last card is on screen too
    if phone:
        assert last[0] >= head[1] - 1  # below the sticky player and its controls, not under them
    page.screenshot(path=artifacts / f"screen-{size}-{width}x{height}-last-card.png")

    last_card = page.locator("article.question-card:not([hidden])").last
    tap_or_click(page, last_card.get_by_role("button", name="Accept"), phone)
    expect(page.locator("article.question-card:not([hidden])").last).to_contain_text("Your decision: Accept")
    assert refused == [], f"the page broke the Content-Security-Policy: {refused}"
