"""The release page: blockers grouped by kind with counts and what clears them, the cut form,
the releases with digests and downloads, the diff, the datasheet's excluded items; a fixed
number of queries whatever the number of items and blockers."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.models import AuditEvent, QAItem, QualityFlag, Release
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit, review_status_set
from annotation.services.releases import release_create, release_manifest
from review.services.claims import claim_next
from review.services.queues import queue_create


def _move(item: QAItem, user, *statuses: str, reason: str = "") -> QAItem:
    for status in statuses:
        item = review_status_set(
            model=QAItem,
            pk=item.pk,
            status=status,
            actor=Actor.person(user),
            expected_version=item.version,
            reason=reason,
        )
    return item


@pytest.fixture
def accepted_items(make_item, reviewer):
    items = [make_item(f"SAD_{n:04d}", answer="Yes" if n % 2 else "No") for n in range(1, 5)]
    items.append(make_item("FMAR_0001", task="FMAR"))
    return [_move(item, reviewer, "in_review", "accepted") for item in items]


@pytest.fixture
def blocked_benchmark(benchmark, make_item, reviewer):
    """Accepted SAD_0001..3; 12 never reviewed, 2 rejected, 1 waiting for adjudication, 1 accepted with an open flag."""
    accepted = [_move(make_item(f"SAD_{n:04d}"), reviewer, "in_review", "accepted") for n in range(1, 4)]
    for n in range(100, 112):
        make_item(f"SAD_{n:04d}")
    for n in (200, 201):
        _move(make_item(f"SAD_{n:04d}"), reviewer, "rejected")
    disputed = _move(make_item("SAD_0300"), reviewer, "needs_adjudication")
    QualityFlag.objects.create(
        benchmark=benchmark,
        item=accepted[0],
        target_key=f"item:{accepted[0].pk}",
        kind="label_leak",
        source="lint",
        message="the label <b>Nodding</b> is in the question",
    )
    return {"accepted": accepted, "disputed": disputed}


def page_of(client, benchmark, **query) -> str:
    response = client.get(reverse("benchmark-releases", args=[benchmark.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def group_html(page: str, key: str) -> str:
    return page[page.index(f'id="{key}"') :].split("</article>")[0]


def test_blockers_are_grouped_by_kind_with_counts_and_the_action_that_clears_them(
    client, admin_user, benchmark, blocked_benchmark
):
    client.force_login(admin_user)
    page = page_of(client, benchmark)
    assert "16 blockers of 4 kinds" in page
    unreviewed = group_html(page, "review_status.imported")
    assert "Review status imported" in unreviewed and "12 items" in unreviewed
    assert unreviewed.count("<li>") == 10 and "and 2 more" in unreviewed  # capped, the rest one click away
    assert f"/benchmarks/{benchmark.pk}/?status=imported" in unreviewed  # exclude them there
    assert "?group=review_status.imported" in unreviewed
    disputed = group_html(page, "review_status.needs_adjudication")
    assert f"/adjudication/?benchmark={benchmark.pk}#adjudicate-{blocked_benchmark['disputed'].pk}" in disputed
    flagged = group_html(page, "item_flag.label_leak")
    assert "Open flag on accepted items (Label leaked into the question)" in flagged
    assert f"/benchmarks/{benchmark.pk}/?status=accepted&amp;flag=label_leak" in flagged  # waive or exclude there
    assert "the label &lt;b&gt;Nodding&lt;/b&gt; is in the question" in flagged  # machine text escaped
    assert "rejected" in group_html(page, "review_status.rejected")

    whole = group_html(page_of(client, benchmark, group="review_status.imported"), "review_status.imported")
    assert whole.count("<li>") == 12 and "more" not in whole


def test_the_benchmark_page_links_to_the_release_page(client, reviewer, benchmark, make_item):
    make_item("SAD_0001")
    client.force_login(reviewer)
    page = client.get(reverse("benchmark-detail", args=[benchmark.pk])).content.decode()
    assert f'href="{reverse("benchmark-releases", args=[benchmark.pk])}"' in page


def test_a_refused_cut_shows_the_blockers_and_is_recorded(client, admin_user, benchmark, blocked_benchmark):
    client.force_login(admin_user)
    url = reverse("benchmark-release-cut", args=[benchmark.pk])
    response = client.post(url, {"tag": "v1.0"})
    assert response.status_code == 409 and not Release.objects.exists()
    page = response.content.decode()
    assert "Not released: 16 blockers" in page and 'id="review_status.rejected"' in page
    [refused] = AuditEvent.objects.filter(event_type="refused", target_kind="benchmark")
    assert refused.actor_user == admin_user and "Review status imported: 12 items" in refused.reason


def test_an_admin_cuts_a_release_and_downloads_every_format(client, admin_user, benchmark, accepted_items):
    client.force_login(admin_user)
    response = client.post(
        reverse("benchmark-release-cut", args=[benchmark.pk]), {"tag": "v1.0", "notes": "first cut & 1 < 2"}
    )
    release = Release.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#release-{release.pk}")
    assert (release.tag, release.notes, release.created_by, release.item_count) == (
        "v1.0",
        "first cut & 1 < 2",
        admin_user,
        5,
    )
    assert AuditEvent.objects.filter(event_type="release_cut", target_id=release.pk).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert 'id="ready"' in page and "Released Test bench v1.0" in page
    row = page[page.index(f'id="release-{release.pk}"') :].split("</tr>")[0]
    assert release.sha256 in row and admin_user.username in row and "first cut &amp; 1 &lt; 2" in row
    for fmt in ("mac", "questions-only", "jsonl", "json"):
        href = f"/api/releases/{release.pk}/export/?format={fmt}"
        assert f'href="{href}"' in row
        download = client.get(href)  # the admin's session is enough
        assert download.status_code == 200 and download["ETag"] == f'"{release.export_sha256[fmt]}"'
    mac = json.loads(b"".join(client.get(f"/api/releases/{release.pk}/export/?format=mac").streaming_content))
    assert len(mac) == 5


def test_an_empty_or_taken_tag_is_a_field_error(client, admin_user, benchmark, accepted_items):
    client.force_login(admin_user)
    url = reverse("benchmark-release-cut", args=[benchmark.pk])
    empty = client.post(url, {"tag": "  "})
    assert empty.status_code == 400 and '<p class="error">Tag: This field is required.</p>' in empty.content.decode()
    assert client.post(url, {"tag": "v1"}).status_code == 302
    taken = client.post(url, {"tag": "v1"})
    assert taken.status_code == 409
    assert "Tag: tag &#x27;v1&#x27; exists already; releases are immutable, use a new tag" in taken.content.decode()
    assert Release.objects.count() == 1


def test_the_service_refuses_a_tag_no_release_can_have(benchmark, accepted_items, admin_user):
    from annotation.errors import InvalidInput

    for tag, says in (("", "needs a tag"), (" ", "needs a tag"), ("v" * 65, "at most 64")):
        with pytest.raises(InvalidInput, match=says) as refused:
            release_create(benchmark=benchmark, tag=tag, user=admin_user)
        assert refused.value.field == "tag"
    assert not Release.objects.exists()


def test_reviewers_read_the_page_but_get_no_cut_form(client, reviewer, benchmark, accepted_items, admin_user):
    release_create(benchmark=benchmark, tag="v1", user=admin_user)
    client.force_login(reviewer)
    page = page_of(client, benchmark)
    assert 'id="cut"' not in page and "v1" in page and "/export/?format=mac" in page
    assert client.post(reverse("benchmark-release-cut", args=[benchmark.pk]), {"tag": "v2"}).status_code == 403


def test_the_diff_between_two_tags(client, admin_user, benchmark, accepted_items, make_item, reviewer, annotator):
    old = release_create(benchmark=benchmark, tag="v1", user=admin_user)
    fmar = accepted_items[4]
    item_edit(item_id=fmar.pk, actor=Actor.person(annotator), expected_version=fmar.version, changes={"answer": "B"})
    _move(make_item("SAD_0050"), reviewer, "in_review", "accepted")
    new = release_create(benchmark=benchmark, tag="v2", user=admin_user)
    client.force_login(admin_user)
    page = page_of(client, benchmark, old=old.pk, new=new.pk)
    diff = page[page.index('id="diff"') :]
    assert "<li>SAD_0050</li>" in diff.split("Removed")[0]  # added
    assert f"<li>{fmar.qid}: answer</li>" in diff
    assert f"/api/releases/{new.pk}/diff/?against=v1" in diff
    assert page_of(client, benchmark, old="nope", new=new.pk).count("Select a valid choice") == 1


def test_excluded_items_are_in_the_datasheet_with_who_and_why(
    client, admin_user, benchmark, accepted_items, make_item, reviewer
):
    off_topic = _move(make_item("SAD_0066"), reviewer, "excluded", reason="the clip shows two people")
    release = release_create(benchmark=benchmark, tag="v1", user=admin_user)
    [entry] = release.excluded
    assert entry["qid"] == off_topic.qid and entry["reason"] == "the clip shows two people"
    assert (entry["excluded_by"], entry["clip"], entry["task"]) == (reviewer.username, "clip_001", "SAD")
    client.force_login(admin_user)
    whole = json.loads(b"".join(client.get(f"/api/releases/{release.pk}/export/?format=json").streaming_content))
    assert whole["release"]["excluded"] == release.excluded
    assert client.get(f"/api/releases/{release.pk}/").json()["excluded"] == release.excluded
    call_command("verify_releases")  # the digests cover the datasheet
    page = page_of(client, benchmark)
    assert "SAD_0066: the clip shows two people (reviewer)" in page and "1 item excluded now" in page


def test_a_release_cut_before_exclusions_were_recorded_keeps_its_manifest(benchmark, accepted_items, admin_user):
    release = release_create(benchmark=benchmark, tag="v1", user=admin_user)
    assert {"excluded", "datasheet"} <= set(release_manifest(release))
    release.excluded = release.datasheet = None  # as the migrations leave the releases cut before them
    assert set(release_manifest(release)) == {
        "benchmark",
        "tag",
        "notes",
        "created_by",
        "created_at",
        "item_count",
        "task_counts",
    }


def test_blockers_of_clips_held_blind_are_counted_not_listed(client, benchmark, make_item, reviewer, admin_user):
    from annotation.services.content import video_register

    held = video_register(benchmark=benchmark, clip_name="held", actor=Actor.machine("g"))
    make_item("SAD_0900", video=held)
    make_item("SAD_0901")
    queue = queue_create(
        benchmark=benchmark,
        name="blind",
        created_by=admin_user,
        annotators=[reviewer],
        blind=True,
        filters={"clips": ["held"]},
    )
    claim_next(queue=queue, user=reviewer)
    assert reviewer.clips_withheld() == [held.pk]
    client.force_login(reviewer)
    group = group_html(page_of(client, benchmark), "review_status.imported")
    assert "2 items" in group and "SAD_0901" in group and "SAD_0900" not in group
    assert "1 of them on clips you are reviewing blind: counted, not listed" in group


def _grow(benchmark, make_item, reviewer, admin_user, n: int) -> None:
    """n more blockers of every kind the page links, and one more release."""
    start = QAItem.objects.count()
    for k in range(start, start + n):
        make_item(f"SAD_{k:04d}")
        _move(make_item(f"FMAR_{k:04d}", task="FMAR"), reviewer, "rejected")
        _move(make_item(f"SAD_{k + 5000:04d}"), reviewer, "needs_adjudication")
        flagged = _move(make_item(f"SAD_{k + 8000:04d}"), reviewer, "in_review", "accepted")
        QualityFlag.objects.create(
            benchmark=benchmark, item=flagged, target_key=f"item:{flagged.pk}", kind="label_leak", source="lint"
        )


def test_the_page_runs_a_fixed_number_of_queries(client, admin_user, benchmark, make_item, reviewer, accepted_items):
    release_create(benchmark=benchmark, tag="v1", user=admin_user)
    _grow(benchmark, make_item, reviewer, admin_user, 2)
    client.force_login(admin_user)
    url = reverse("benchmark-releases", args=[benchmark.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(benchmark, make_item, reviewer, admin_user, 15)  # past the cap of every group
    Release.objects.create(
        benchmark=benchmark,
        tag="v0",
        created_by=admin_user,
        created_at=Release.objects.get().created_at,
        item_count=0,
        task_counts={},
        last_event_id=0,
        sha256="0" * 64,
        export_sha256={},
        excluded=[],
    )
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert "68 blockers" in page
    assert len(small) > 5 and len(large) == len(small), [q["sql"] for q in large]


def test_create_release_prints_one_line_per_kind_with_counts(benchmark, blocked_benchmark, admin_user):
    with pytest.raises(CommandError) as refused:
        call_command("create_release", benchmark.name, "v1", "--user", admin_user.username)
    lines = str(refused.value).splitlines()
    assert lines[0] == "the release is blocked by 16 problems:"
    assert len(lines) == 5  # one per kind, never one per blocker
    [unreviewed] = [line for line in lines if "Review status imported" in line]
    assert unreviewed.strip().startswith(
        "Review status imported: 12 items (SAD_0100, SAD_0101, SAD_0102, SAD_0103, SAD_0104 and 7 more); to clear: "
    )
    [flag] = [line for line in lines if "label_leak" in line]
    assert "SAD_0001: open flag label_leak" in flag  # a lone blocker keeps its sentence


def test_the_api_answers_a_blocked_cut_with_the_groups(as_role, benchmark, blocked_benchmark):
    response = as_role("admin").post("/api/releases/", {"benchmark": benchmark.name, "tag": "v1"})
    assert response.status_code == 409
    body = response.json()
    assert body["count"] == 16 and len(body["blockers"]) == 16
    groups = {(g["kind"], g["detail"]): g for g in body["groups"]}
    assert groups[("review_status", "rejected")]["count"] == 2
    assert groups[("review_status", "rejected")]["subjects"] == ["SAD_0200", "SAD_0201"]
    assert groups[("item_flag", "label_leak")]["clears"].startswith("fix the item, waive the flag")
