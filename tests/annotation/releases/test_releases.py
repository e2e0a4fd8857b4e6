import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from annotation.errors import InvalidInput
from annotation.exports.release_export import FORMATS, export_chunks
from annotation.models import QAItem, QualityFlag, Release
from annotation.selectors import release_rows
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit, review_status_set
from annotation.services.flags import flag_waive, lint_run
from annotation.services.releases import ReleaseBlocked, release_create, release_diff, release_manifest


def export_bytes(release, fmt):
    return b"".join(export_chunks(fmt, release_manifest(release), release_rows(release=release)))


def test_a_release_freezes_the_accepted_items_with_counts_and_digests(benchmark, accepted_items, admin_user):
    release = release_create(benchmark=benchmark, tag="v1.0", notes="first", user=admin_user)
    assert (release.item_count, release.task_counts) == (5, {"FMAR": 1, "SAD": 4})
    for fmt in FORMATS:
        assert release.export_sha256[fmt] == hashlib.sha256(export_bytes(release, fmt)).hexdigest()
    assert release.sha256 == release.export_sha256["jsonl"]


def test_exports_are_byte_identical_and_frozen_against_later_edits(benchmark, accepted_items, admin_user, annotator):
    release = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    first = {fmt: export_bytes(release, fmt) for fmt in FORMATS}
    sad = accepted_items[0]
    item_edit(
        item_id=sad.pk,
        actor=Actor.person(annotator),
        expected_version=sad.version,
        changes={"question": "Rewritten after the release?"},
    )
    release = Release.objects.get(pk=release.pk)
    assert {fmt: export_bytes(release, fmt) for fmt in FORMATS} == first
    assert b"Rewritten" not in first["mac"]


def test_the_mac_export_is_the_published_row_shape(benchmark, accepted_items, admin_user):
    release = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    rows = json.loads(export_bytes(release, "mac"))
    assert [list(row) for row in rows] == [["video", "task", "qid", "question", "answer"]] * 5
    fmar = next(row for row in rows if row["task"] == "FMAR")
    assert fmar == {
        "video": "clip_001.mp4",
        "task": "FMAR",
        "qid": "FMAR_0001",
        "answer": "A",
        "question": "Which fine-grained label fits?\nA. Nodding\nB. Shaking head\nC. Waving\nD. Shrugging\nE. Tiptoe",
    }
    blind = json.loads(export_bytes(release, "questions-only"))
    assert all("answer" not in row and set(row) == {"video_name", "task", "qid", "question"} for row in blind)


def test_rich_exports_carry_tier_caption_slot_and_provenance_from_the_trail(
    benchmark, accepted_items, admin_user, reviewer
):
    release = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    rows = [json.loads(line) for line in export_bytes(release, "jsonl").splitlines()]
    sad = next(row for row in rows if row["qid"] == "SAD_0001")
    assert (sad["tier"], sad["answer_format"], sad["options"], sad["item_version"]) == (
        "comprehension",
        "yes_no",
        [],
        3,
    )
    provenance = sad["provenance"]
    assert provenance["generated_by"] == "test-generator 0.1"
    assert [(r["by"], r["from"], r["to"]) for r in provenance["reviews"]] == [
        ("reviewer", "imported", "in_review"),
        ("reviewer", "in_review", "accepted"),
    ]
    assert provenance["reviewers"] == ["reviewer"]
    whole = json.loads(export_bytes(release, "json"))
    assert whole["release"]["tag"] == "v1.0" and len(whole["items"]) == 5


def test_an_incomplete_benchmark_is_refused_with_what_blocks_it(
    benchmark, make_item, accepted_items, admin_user, reviewer, accept
):
    make_item("SAD_0099")  # never reviewed
    duplicate = accept(
        make_item(
            "FMAR_0002",
            task="FMAR",
            question="Which label is it?",
            options=["Nodding", "Waving", "Waving", "Tiptoe", "Shrugging"],
        ),
        reviewer,
    )
    lint_run(benchmark=benchmark)
    with pytest.raises(ReleaseBlocked) as blocked:
        release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    assert "SAD_0099: review status is imported; accept it or exclude it" in blocked.value.blockers
    assert any(b.startswith("FMAR_0002: open flag duplicate_options") for b in blocked.value.blockers)
    assert not Release.objects.exists()

    unreviewed = QAItem.objects.get(qid="SAD_0099")
    review_status_set(
        model=QAItem,
        pk=unreviewed.pk,
        status="excluded",
        actor=Actor.person(admin_user),
        expected_version=1,
        reason="off-topic",
    )
    with pytest.raises(InvalidInput, match="needs a reason"):
        flag_waive(flag=QualityFlag.objects.get(item=duplicate), user=reviewer, reason=" ")
    flag_waive(flag=QualityFlag.objects.get(item=duplicate), user=reviewer, reason="the repeat is intended")
    release = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    assert release.item_count == 6  # the excluded item is not released


def test_a_tag_is_never_reused(benchmark, accepted_items, admin_user):
    release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    with pytest.raises(ReleaseBlocked, match="tag 'v1.0' exists already"):
        release_create(benchmark=benchmark, tag="v1.0", user=admin_user)


@pytest.mark.postgresql
def test_releases_are_immutable_in_the_database(benchmark, accepted_items, admin_user):
    assert connection.vendor == "postgresql"
    release = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    for statement in (
        "UPDATE annotation_release SET notes = 'x'",
        "DELETE FROM annotation_releaseitem",
        "UPDATE annotation_releaseitem SET qid = 'x'",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert release.items.count() == 5


def test_a_diff_lists_added_removed_and_changed_items_with_their_fields(
    benchmark, accepted_items, make_item, admin_user, annotator, reviewer, accept
):
    old = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    first, second = accepted_items[0], accepted_items[1]
    first = item_edit(
        item_id=first.pk,
        actor=Actor.person(annotator),
        expected_version=first.version,
        changes={"question": "Does the head move twice?", "answer": "No"},
    )
    review_status_set(
        model=QAItem, pk=first.pk, status="in_review", actor=Actor.person(reviewer), expected_version=first.version
    )
    first = QAItem.objects.get(pk=first.pk)
    review_status_set(
        model=QAItem, pk=first.pk, status="accepted", actor=Actor.person(reviewer), expected_version=first.version
    )
    review_status_set(
        model=QAItem, pk=second.pk, status="excluded", actor=Actor.person(admin_user), expected_version=second.version
    )
    accept(make_item("MAS_0001"), reviewer)
    new = release_create(benchmark=benchmark, tag="v1.1", user=admin_user)
    diff = release_diff(old=old, new=new)
    assert diff.added == ["MAS_0001"] and diff.removed == [second.qid]
    assert diff.changed == {first.qid: ["answer", "question"]}


def test_export_release_command_writes_the_file_with_its_digest(benchmark, accepted_items, admin_user, tmp_path):
    release = release_create(benchmark=benchmark, tag="v1.0", user=admin_user)
    out = tmp_path / "v1.json"
    err = io.StringIO()
    call_command("export_release", benchmark.name, "v1.0", "--format", "mac", "--out", str(out), stderr=err)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == release.export_sha256["mac"]
    assert release.export_sha256["mac"] in err.getvalue()
    assert not list(tmp_path.glob(".*partial"))
