import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_logs_in_opens_a_benchmark_and_filters_its_questions(log_in, reviewer, make_item, artifacts):
    make_item("SAD_0001")
    make_item("FMAR_0001", task="FMAR")
    page = log_in(reviewer)
    page.get_by_role("link", name="Test bench").click()
    items = page.locator("#items")
    expect(items).to_contain_text("SAD_0001")
    expect(items).to_contain_text("FMAR_0001")

    page.locator("select[name=task]").select_option("FMAR")
    expect(items).not_to_contain_text("SAD_0001")  # swapped in place by htmx
    expect(items).to_contain_text("Shaking head")
    expect(page).to_have_url(re.compile(r"task=FMAR"))
    assert page.evaluate("typeof window.htmx") == "object"
    page.screenshot(path=artifacts / "benchmark.png", full_page=True)


def test_machine_text_that_looks_like_markup_stays_text_in_the_browser(log_in, admin_user, make_item):
    make_item("SAD_0001", question='Does it move? <img src=x onerror="window.pwned=1"><b>bold</b>')
    page = log_in(admin_user)
    page.get_by_role("link", name="Test bench").click()
    expect(page.locator("#items")).to_contain_text('<img src=x onerror="window.pwned=1"><b>bold</b>')
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("#items b", has_text="bold").count() == 0


def test_an_annotator_sees_no_benchmark_content(log_in, annotator, make_item):
    make_item("SAD_0001")
    page = log_in(annotator)
    expect(page.get_by_role("heading", name="Your review work")).to_be_visible()
    expect(page.get_by_text("Test bench")).to_have_count(0)
