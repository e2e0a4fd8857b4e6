"""An admin goes from the benchmark page to the release page, reads what blocks a release, and once
it is clear cuts one and downloads its mac export, in Chromium."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotation.models import QAItem, Release
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set

pytestmark = pytest.mark.django_db(transaction=True)


def _move(item, user, *statuses):
    for status in statuses:
        item = review_status_set(
            model=QAItem, pk=item.pk, status=status, actor=Actor.person(user), expected_version=item.version
        )
    return item


def test_an_admin_reads_the_blockers_cuts_a_release_and_downloads_it(
    log_in, admin_user, reviewer, make_item, artifacts
):
    accepted = [
        _move(make_item(f"SAD_{n:04d}", answer="Yes" if n % 2 else "No"), reviewer, "in_review", "accepted")
        for n in range(1, 5)
    ]
    rejected = _move(make_item("SAD_0009"), reviewer, "rejected")
    page = log_in(admin_user)
    page.get_by_role("link", name="Test bench").click()
    page.get_by_role("link", name="Releases →").click()
    group = page.locator("#blockers article", has_text="Review status rejected")
    expect(group).to_contain_text("1 item")
    expect(group).to_contain_text("SAD_0009")
    page.screenshot(path=artifacts / "release-page-blocked.png", full_page=True)

    page.get_by_label("Tag").fill("v1.0")
    page.get_by_role("button", name="Cut the release").click()
    expect(page.locator("#cut")).to_contain_text("Not released: 1 blocker,")
    assert not Release.objects.exists()

    _move(rejected, admin_user, "excluded")  # what the benchmark page's exclude does (issue 16, point 1)
    page.goto(page.url.removesuffix("cut/"))  # the refused cut was answered at the cut URL; not a re-post
    expect(page.locator("#ready")).to_be_visible()
    page.get_by_label("Tag").fill("v1.0")
    page.get_by_label("Notes").fill("first release")
    page.get_by_role("button", name="Cut the release").click()
    expect(page.locator(".notice").first).to_contain_text("Released Test bench v1.0")
    release = Release.objects.get()
    row = page.locator(f"#release-{release.pk}")
    expect(row).to_contain_text(release.sha256)
    expect(row).to_contain_text(admin_user.username)
    with page.expect_download() as download:
        row.get_by_role("link", name="mac", exact=True).click()
    rows = json.loads(Path(download.value.path()).read_text())
    assert sorted(r["qid"] for r in rows) == sorted(i.qid for i in accepted)
    assert download.value.suggested_filename == "Test_bench-v1.0.json"
    page.screenshot(path=artifacts / "release-page-released.png", full_page=True)
