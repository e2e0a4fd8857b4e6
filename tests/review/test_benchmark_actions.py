"""The benchmark page's actions: exclude / include a question (one, or every question of the filter) and waive /
withdraw a waiver of a flag, with htmx (the row or chip swapped) and without JavaScript (POST, then back to the
page with its filter); the adjudication card's Exclude. Bad input is a 400 naming the field, nothing written."""

import pytest
from django.urls import reverse

from annotation.models import AuditEvent, QAItem, QualityFlag
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set
from annotation.services.flags import lint_run

HX = {"HX-Request": "true"}


def status_of(item) -> str:
    return QAItem.objects.get(pk=item.pk).review_status


def moved_to(item, status, by):
    return review_status_set(model=QAItem, pk=item.pk, status=status, actor=Actor.person(by), expected_version=None)


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def sad(make_item, admin_user):
    return moved_to(make_item("SAD_0001"), "accepted", admin_user)


# --- one question -------------------------------------------------------------------------------


def test_excluding_with_htmx_swaps_the_row(reviewer_client, sad, reviewer):
    response = reviewer_client.post(
        reverse("item-exclude", args=[sad.pk]), {"reason": "duplicate", "version": sad.version}, headers=HX
    )
    row = response.content.decode()
    assert response.status_code == 200 and row.startswith(f'<tr id="item-{sad.pk}">') and "<html" not in row
    assert "Excluded from release" in row and "Include again" in row
    assert f'hx-post="{reverse("item-include", args=[sad.pk])}"' in row
    assert status_of(sad) == "excluded"
    event = AuditEvent.objects.filter(target_kind="qaitem", target_id=sad.pk).latest("id")
    assert (event.actor_user, event.event_type, event.reason) == (reviewer, "status_changed", "duplicate")


def test_without_javascript_it_posts_and_returns_to_the_filtered_page(reviewer_client, benchmark, sad):
    response = reviewer_client.post(
        reverse("item-exclude", args=[sad.pk]), {"reason": "duplicate", "back": "task=SAD&status=bogus&page=2&x=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("benchmark-detail", args=[benchmark.pk]) + "?task=SAD&page=2"
    page = reviewer_client.get(response["Location"]).content.decode()
    assert "SAD_0001 excluded from release." in page
    back = reviewer_client.post(reverse("item-include", args=[sad.pk]), {"reason": "asked again"})
    assert back.status_code == 302 and status_of(sad) == "imported"


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "no-js"])
def test_no_reason_is_a_400_naming_the_field_and_writes_nothing(reviewer_client, sad, headers):
    events = AuditEvent.objects.count()
    response = reviewer_client.post(reverse("item-exclude", args=[sad.pk]), {"reason": "  "}, headers=headers)
    page = response.content.decode()
    assert response.status_code == 400 and "reason: required" in page
    assert ("<html" in page) == (not headers)  # without JavaScript: a page with the row to try again
    assert AuditEvent.objects.count() == events and status_of(sad) == "accepted"
    bad_version = reviewer_client.post(reverse("item-exclude", args=[sad.pk]), {"reason": "r", "version": "x"})
    assert bad_version.status_code == 400 and "version:" in bad_version.content.decode()


def test_a_refusal_is_a_409_saying_why_and_is_recorded(reviewer_client, sad):
    url = reverse("item-exclude", args=[sad.pk])
    reviewer_client.post(url, {"reason": "duplicate"}, headers=HX)
    again = reviewer_client.post(url, {"reason": "again"}, headers=HX)
    assert again.status_code == 409 and "SAD_0001 is excluded already" in again.content.decode()
    stale = reviewer_client.post(
        reverse("item-include", args=[sad.pk]), {"reason": "r", "version": sad.version}, headers=HX
    )
    assert stale.status_code == 409 and "changed meanwhile" in stale.content.decode()
    refused = AuditEvent.objects.filter(target_id=sad.pk, event_type__in=["refused", "edit_refused"])
    assert refused.count() == 2


def test_a_clip_held_blind_is_not_found(reviewer_client, held_blind):
    for name in ("item-exclude", "item-include"):
        assert reviewer_client.post(reverse(name, args=[held_blind.pk]), {"reason": "peek"}).status_code == 404
    flag = QualityFlag.objects.get(item=held_blind)
    assert reviewer_client.post(reverse("flag-waive", args=[flag.pk]), {"reason": "peek"}).status_code == 404
    assert status_of(held_blind) == "imported" and QualityFlag.objects.get(pk=flag.pk).status == "open"


# --- every question of the filter ---------------------------------------------------------------


@pytest.fixture
def several(make_item, admin_user):
    """SAD_0001/2 accepted, SAD_0003 excluded, FMAR_0001 accepted."""
    items = [moved_to(make_item(f"SAD_000{n}"), "accepted", admin_user) for n in (1, 2)]
    items.append(moved_to(make_item("SAD_0003"), "excluded", admin_user))
    items.append(moved_to(make_item("FMAR_0001", task="FMAR"), "accepted", admin_user))
    return items


def test_the_page_offers_the_filters_bulk_action_with_its_count(reviewer_client, benchmark, several):
    page = reviewer_client.get(reverse("benchmark-detail", args=[benchmark.pk]), {"task": "SAD"}).content.decode()
    assert "Exclude every question of this filter (3)…" in page
    url = reverse("items-bulk-status", args=[benchmark.pk])
    confirm = reviewer_client.get(url, {"action": "exclude", "task": "SAD"})
    text = confirm.content.decode()
    assert confirm.status_code == 200 and "excludes <b>3</b> questions from release" in text
    assert "Filter: task SAD" in text and "Exclude 3 questions" in text


def test_a_confirmed_bulk_exclusion_reports_what_it_did(reviewer_client, benchmark, several):
    url = reverse("items-bulk-status", args=[benchmark.pk])
    data = {"action": "exclude", "task": "SAD", "status": "", "flag": "", "count": 3, "reason": "SAD redone"}
    response = reviewer_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("benchmark-detail", args=[benchmark.pk]) + "?task=SAD"
    page = reviewer_client.get(response["Location"]).content.decode()
    assert "2 questions excluded; not changed: 1 excluded already (SAD_0003)." in page
    assert [status_of(item) for item in several] == ["excluded", "excluded", "excluded", "accepted"]
    assert AuditEvent.objects.filter(reason="SAD redone", event_type="status_changed").count() == 2
    assert AuditEvent.objects.filter(target_id=several[2].pk, event_type="refused").count() == 1


def test_a_bulk_post_without_a_reason_or_with_an_old_count_changes_nothing(reviewer_client, benchmark, several):
    url = reverse("items-bulk-status", args=[benchmark.pk])
    events = AuditEvent.objects.count()
    no_reason = reviewer_client.post(url, {"action": "exclude", "task": "SAD", "count": 3})
    assert no_reason.status_code == 400 and "reason: required" in no_reason.content.decode()
    old_count = reviewer_client.post(url, {"action": "exclude", "task": "SAD", "count": 2, "reason": "r"})
    assert old_count.status_code == 409
    assert "The filter now matches 3 questions, not 2" in old_count.content.decode()
    no_count = reviewer_client.post(url, {"action": "exclude", "reason": "r"})
    assert no_count.status_code == 400 and "count:" in no_count.content.decode()
    assert AuditEvent.objects.count() == events


def test_a_bulk_inclusion_from_the_excluded_filter(reviewer_client, benchmark, several):
    page = reviewer_client.get(reverse("benchmark-detail", args=[benchmark.pk]), {"status": "excluded"})
    assert "Include every question of this filter again (1)…" in page.content.decode()
    url = reverse("items-bulk-status", args=[benchmark.pk])
    data = {"action": "include", "status": "excluded", "count": 1, "reason": "back in"}
    assert reviewer_client.post(url, data).status_code == 302
    assert status_of(several[2]) == "imported"


# --- flags and words ----------------------------------------------------------------------------


@pytest.fixture
def flagged(benchmark, make_item):
    """SAD_0001 without a key: an open missing_answer_key flag."""
    item = make_item("SAD_0001", answer="")
    lint_run(benchmark=benchmark)
    return QualityFlag.objects.get(item=item, kind="missing_answer_key")


def test_flag_chips_link_to_the_filtered_list_and_statuses_read_in_words(reviewer_client, benchmark, flagged):
    url = reverse("benchmark-detail", args=[benchmark.pk])
    page = reviewer_client.get(url).content.decode()
    assert f'href="{url}?flag=missing_answer_key"' in page and ">Answer key missing</a>" in page
    assert "Imported (not yet reviewed): 1" in page and "imported: 1" not in page
    assert 'href="?status=imported"' in page


def test_a_flag_is_waived_and_the_waiver_withdrawn_with_htmx(reviewer_client, flagged, reviewer):
    waived = reviewer_client.post(reverse("flag-waive", args=[flagged.pk]), {"reason": "keys next batch"}, headers=HX)
    chip = waived.content.decode()
    assert waived.status_code == 200 and chip.startswith(f'<span class="flag-chip waived" id="flag-{flagged.pk}">')
    assert "Answer key missing · waived" in chip and "Withdraw waiver" in chip
    assert QualityFlag.objects.get(pk=flagged.pk).status == "waived"
    again = reviewer_client.post(reverse("flag-waive", args=[flagged.pk]), {"reason": "again"}, headers=HX)
    assert again.status_code == 409 and "only an open flag is waived" in again.content.decode()
    opened = reviewer_client.post(reverse("flag-unwaive", args=[flagged.pk]), {"reason": "no batch"}, headers=HX)
    assert opened.status_code == 200 and QualityFlag.objects.get(pk=flagged.pk).status == "open"
    events = AuditEvent.objects.filter(target_kind="qualityflag", target_id=flagged.pk).order_by("id")
    assert [(e.event_type, e.actor_user) for e in events] == [
        ("flag_waived", reviewer),
        ("refused", reviewer),
        ("flag_unwaived", reviewer),
    ]
    assert (events[0].reason, events[2].reason) == ("keys next batch", "no batch")


def test_a_waived_flag_shows_on_the_page_and_the_waiver_works_without_javascript(reviewer_client, benchmark, flagged):
    response = reviewer_client.post(reverse("flag-waive", args=[flagged.pk]), {"reason": "fine", "back": "flag="})
    assert response.status_code == 302 and response["Location"] == reverse("benchmark-detail", args=[benchmark.pk])
    page = reviewer_client.get(response["Location"]).content.decode()
    assert "Flag “Answer key missing” waived." in page and "Answer key missing · waived" in page
    missing = reviewer_client.post(reverse("flag-unwaive", args=[flagged.pk]), {"reason": ""})
    assert missing.status_code == 400 and "reason: required" in missing.content.decode()
    assert QualityFlag.objects.get(pk=flagged.pk).status == "waived"


def test_benchmark_and_caption_flags_are_waived_on_the_page(reviewer_client, benchmark, make_item, make_caption):
    for n in range(20):  # all Yes: a benchmark-level balance flag
        make_item(f"SAD_{n:04d}", question=f"Does part {n} move?")
    lint_run(benchmark=benchmark)
    caption = make_caption()
    on_caption = QualityFlag.objects.create(
        benchmark=benchmark,
        caption=caption,
        target_key=f"caption:{caption.pk}",
        kind="caption_label",
        source="lint",
        message="the caption says B1, the FMAR key C1",
    )
    balance = QualityFlag.objects.get(kind="yes_no_balance")
    page = reviewer_client.get(reverse("benchmark-detail", args=[benchmark.pk])).content.decode()
    for flag in (balance, on_caption):
        assert f'id="flag-{flag.pk}"' in page and reverse("flag-waive", args=[flag.pk]) in page
    assert "Caption of clip_001: the caption says B1, the FMAR key C1" in page


# --- adjudication -------------------------------------------------------------------------------


def test_the_adjudication_card_excludes_with_a_reason(reviewer_client, make_item, admin_user, reviewer):
    item = moved_to(make_item("SAD_0001"), "needs_adjudication", admin_user)
    page = reviewer_client.get(reverse("adjudication-list")).content.decode()
    assert reverse("adjudication-exclude", args=[item.pk]) in page
    url = reverse("adjudication-exclude", args=[item.pk])
    missing = reviewer_client.post(url, {"version": item.version}, headers=HX)
    assert missing.status_code == 400 and "reason: required" in missing.content.decode()
    card = reviewer_client.post(url, {"version": item.version, "reason": "the clip shows two people"}, headers=HX)
    text = card.content.decode()
    assert card.status_code == 200 and text.startswith(
        f'<article class="question-card adjudication" id="adjudicate-{item.pk}"'
    )
    assert "Excluded from release" in text and url not in text  # settled: no more decisions
    event = AuditEvent.objects.filter(target_id=item.pk, event_type="status_changed").latest("id")
    assert (event.actor_user, event.after, event.reason) == (
        reviewer,
        {"review_status": "excluded"},
        "the clip shows two people",
    )
    assert reviewer_client.post(url, {"version": item.version + 1, "reason": "again"}).status_code == 409
