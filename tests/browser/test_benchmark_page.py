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


def test_a_reviewer_excludes_a_question_and_waives_a_flag_in_place(log_in, reviewer, benchmark, make_item, artifacts):
    from annotation.services.flags import lint_run

    make_item("SAD_0001")
    make_item("SAD_0002", answer="")  # no key: an open flag
    lint_run(benchmark=benchmark)
    page = log_in(reviewer)
    page.get_by_role("link", name="Test bench").click()
    row = page.locator("#items tr", has_text="SAD_0001")
    expect(row).to_contain_text("Imported (not yet reviewed)")
    row.get_by_label("Reason to exclude SAD_0001").fill("duplicate of SAD_0002")
    row.get_by_label("Reason to exclude SAD_0001").press("Enter")  # the keyboard submits the row's form
    expect(row).to_contain_text("Excluded from release")  # the row is swapped in place by htmx
    expect(row.get_by_role("button", name="Include again")).to_be_visible()
    assert page.evaluate("document.querySelectorAll('main h1').length") == 1  # no page inside the page

    flagged = page.locator("#items tr", has_text="SAD_0002")
    flagged.locator("summary", has_text="Waive").click()  # opens the chip's <details>
    flagged.get_by_label("Reason to waive flag Answer key missing").fill("keys come with the next batch")
    flagged.get_by_role("button", name="Waive").click()
    expect(flagged).to_contain_text("Answer key missing · waived")
    page.screenshot(path=artifacts / "benchmark-actions.png", full_page=True)

    page.reload()
    expect(page.locator("#items tr", has_text="SAD_0001")).to_contain_text("Excluded from release")
    flagged.get_by_text("Answer key missing · waived").wait_for()
    page.get_by_role("link", name=re.compile("Exclude every question of this filter")).click()
    expect(page.locator("#bulk-count")).to_contain_text("excludes 2 questions")
