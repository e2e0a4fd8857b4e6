"""From review to release in the browser only (issue 16): an admin starts from a benchmark with a
rejected question, a question waiting for adjudication and an open flag, clears each from the page
the release page sends them to, cuts the release and downloads its mac export, in Chromium. The
audit trail then shows each step, by that admin, in order."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotation.models import AuditEvent, QAItem, QualityFlag, Release
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set

pytestmark = pytest.mark.django_db(transaction=True)


def _move(item, user, *statuses):
    for status in statuses:
        item = review_status_set(
            model=QAItem, pk=item.pk, status=status, actor=Actor.person(user), expected_version=item.version
        )
    return item


@pytest.fixture
def seeded(make_item, reviewer, benchmark):
    """Four accepted questions (one with an open flag), one rejected, one waiting for adjudication."""
    accepted = [
        _move(make_item(f"SAD_{n:04d}", answer="Yes" if n % 2 else "No"), reviewer, "in_review", "accepted")
        for n in range(1, 5)
    ]
    rejected = _move(make_item("SAD_0005"), reviewer, "in_review", "rejected")
    disputed = _move(make_item("SAD_0006", answer="No"), reviewer, "in_review", "needs_adjudication")
    flag = QualityFlag.objects.create(
        benchmark=benchmark,
        item=accepted[0],
        target_key=f"item:{accepted[0].pk}",
        kind="label_leak",
        source="lint",
        message="the stem names the label",
    )
    return accepted, rejected, disputed, flag


def _releases_page(page):
    page.get_by_role("link", name="Releases →").click()
    return page.locator("#blockers")


def test_an_admin_clears_every_blocker_cuts_a_release_and_downloads_it_using_only_the_browser(
    log_in, admin_user, seeded, artifacts
):
    accepted, rejected, disputed, flag = seeded
    first_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    page = log_in(admin_user)
    page.get_by_role("link", name="Test bench").click()
    blockers = _releases_page(page)
    for title, qid in (
        ("Review status rejected", "SAD_0005"),
        ("Review status needs adjudication", "SAD_0006"),
        ("label", "SAD_0001"),
    ):
        expect(blockers.locator("article", has_text=title)).to_contain_text(qid)
    page.screenshot(path=artifacts / "review-to-release-blocked.png", full_page=True)

    # 1. the rejected question: excluded, with a reason, from the benchmark page the group links to
    blockers.locator("article", has_text="Review status rejected").get_by_role(
        "link", name="Exclude them on the benchmark page →"
    ).click()
    row = page.locator(f"#item-{rejected.pk}")
    row.get_by_label("Reason to exclude SAD_0005").fill("the clip does not show the head")
    row.get_by_role("button", name="Exclude").click()
    expect(page.locator(f"#item-{rejected.pk}")).to_contain_text("Excluded")

    # 2. the disputed question: settled on the adjudication page, from the blocker's own link
    page.goto(page.url.split("?")[0])
    blockers = _releases_page(page)
    blockers.locator("li", has_text="SAD_0006").get_by_role("link", name="adjudicate").click()
    card = page.locator(f"#adjudicate-{disputed.pk}")
    card.get_by_label("Note", exact=True).fill("the head does not move down: No is right")
    card.get_by_role("button", name="Accept as is").click()
    expect(page.locator(f"#adjudicate-{disputed.pk}")).to_contain_text("Adjudicated by")
    expect(page.locator(f"#adjudicate-{disputed.pk}")).to_contain_text("the head does not move down")

    # 3. the open flag: waived with a reason on the benchmark page filtered by it
    page.get_by_role("link", name="MA-Bench Review").click()
    page.get_by_role("link", name="Test bench").click()
    blockers = _releases_page(page)
    blockers.locator("article", has_text="SAD_0001").get_by_role("link").first.click()
    chip = page.locator(f"#flag-{flag.pk}")
    chip.locator("summary", has_text="Waive").click()
    chip.get_by_role("textbox").fill("the label is the question's subject, not its answer")
    chip.get_by_role("button", name="Waive").click()
    expect(page.locator(f"#flag-{flag.pk}")).to_contain_text("waived")

    # 4. nothing blocks: cut, then download the mac export
    _releases_page(page)
    expect(page.locator("#ready")).to_be_visible()
    page.get_by_label("Tag").fill("v1.0")
    page.get_by_label("Notes").fill("first release, cleared in the browser")
    page.get_by_role("button", name="Cut the release").click()
    release = Release.objects.get()
    with page.expect_download() as download:
        page.locator(f"#release-{release.pk}").get_by_role("link", name="mac", exact=True).click()
    rows = json.loads(Path(download.value.path()).read_text())
    assert sorted(r["qid"] for r in rows) == [f"SAD_{n:04d}" for n in (1, 2, 3, 4, 6)]
    assert [entry["qid"] for entry in release.excluded] == ["SAD_0005"]
    page.screenshot(path=artifacts / "review-to-release-released.png", full_page=True)

    steps = [
        (e.event_type, e.target_kind, e.target_id, e.actor_user_id)
        for e in AuditEvent.objects.filter(id__gt=first_event).order_by("id")
    ]
    assert steps == [
        (AuditEvent.EventType.STATUS_CHANGED, QAItem.audit_kind, rejected.pk, admin_user.pk),
        (AuditEvent.EventType.STATUS_CHANGED, QAItem.audit_kind, disputed.pk, admin_user.pk),
        (AuditEvent.EventType.FLAG_WAIVED, QualityFlag.audit_kind, flag.pk, admin_user.pk),
        (AuditEvent.EventType.RELEASE_CUT, Release.audit_kind, release.pk, admin_user.pk),
    ]
    reasons = list(AuditEvent.objects.filter(id__gt=first_event).order_by("id").values_list("reason", flat=True))
    assert reasons[0] == "the clip does not show the head"
    assert reasons[1].startswith("adjudicated") and "No is right" in reasons[1]
    assert reasons[2] == "the label is the question's subject, not its answer"
