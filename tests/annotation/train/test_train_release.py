"""A training corpus is released by caption, only when it shares no participant with the chosen evaluation benchmarks."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction

from annotation.models import Caption, QAItem, ReleaseClip
from annotation.selectors import participant_report
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set
from annotation.services.exclusions import item_exclude
from annotation.services.releases import ReleaseBlocked, release_blockers, release_create


def test_the_report_names_shared_participants_and_their_clips(
    reviewed_corpus, eval_benchmark, overlapping_eval, train_rows
):
    report = participant_report(benchmark=reviewed_corpus, against=[eval_benchmark, overlapping_eval])
    [shared] = report.shared
    assert shared.participant_id == train_rows.people[0]
    assert shared.clips == sorted(train_rows.clips[:2])
    assert shared.elsewhere == {"Eval overlap": [f"{train_rows.people[0]}_100_130"]}
    assert participant_report(benchmark=reviewed_corpus, against=[eval_benchmark]).shared == []


def test_release_refuses_a_corpus_sharing_a_participant(
    reviewed_corpus, eval_benchmark, overlapping_eval, admin_user, train_rows
):
    with pytest.raises(ReleaseBlocked) as blocked:
        release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user)  # default: every evaluation benchmark
    [blocker] = blocked.value.blockers
    assert f"participant {train_rows.people[0]}" in blocker and "Eval overlap" in blocker
    assert not ReleaseClip.objects.exists()


def test_release_against_a_disjoint_benchmark_freezes_captions(
    reviewed_corpus, eval_benchmark, overlapping_eval, admin_user, train_rows
):
    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user, disjoint_from=[eval_benchmark])
    assert (release.kind, release.clip_count, release.item_count) == ("train", 3, 6)
    assert release.disjoint_from == ["Eval"] and release.task_counts == {"FMAR": 3, "SAD": 3}
    clips = list(release.clips.order_by("position"))
    assert [c.clip_name for c in clips] == sorted(train_rows.clips)
    assert clips[0].content["fine_name"] == "Nodding" and clips[0].participant_id == train_rows.people[0]
    assert [r["to"] for r in clips[0].provenance["reviews"]] == ["in_review", "accepted"]
    assert release.sha256 == release.export_sha256["corpus-jsonl"]


def test_completeness_is_about_captions_not_qa_items(reviewed_corpus, eval_benchmark, admin_user, reviewer):
    item = QAItem.objects.filter(benchmark=reviewed_corpus).first()
    review_status_set(
        model=QAItem, pk=item.pk, status="in_review", actor=Actor.person(reviewer), expected_version=item.version
    )
    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user)  # a QA item in review: left out
    assert release.item_count == 5
    caption = Caption.objects.filter(video__benchmark=reviewed_corpus).order_by("video__clip_name").first()
    review_status_set(
        model=Caption, pk=caption.pk, status="in_review", actor=Actor.person(reviewer), expected_version=caption.version
    )
    [blocker] = release_blockers(benchmark=reviewed_corpus)
    assert (blocker.kind, blocker.detail, blocker.subject, blocker.video_id) == (
        "caption_status",
        "in_review",
        caption.video.clip_name,
        caption.video_id,
    )
    assert blocker.message == f"{caption.video.clip_name}: caption review status is in_review; accept it or exclude it"


def test_evaluation_clips_without_participant_block_the_release(reviewed_corpus, admin_user, train_rows):
    from annotation.services.importing import ImportFile, benchmark_import

    benchmark_import(
        benchmark_name="Old eval",
        source="g",
        questions=ImportFile("q.jsonl", train_rows.encode(train_rows.questions("clip_x", 77))),
    )
    with pytest.raises(ReleaseBlocked, match="Old eval: 1 clip without a participant id"):
        release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user)
    for item in QAItem.objects.filter(benchmark__name="Old eval"):  # never released, every question excluded
        item_exclude(item_id=item.pk, user=admin_user, reason="not part of the benchmark")
    assert release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user).clip_count == 3


def test_a_clip_without_frames_blocks_the_release(db, admin_user, reviewer, train_rows):
    from annotation.services.importing import ImportFile, benchmark_import

    benchmark_import(
        benchmark_name="T",
        source="g",
        kind="train",
        captions=ImportFile("c.jsonl", train_rows.encode([train_rows.caption(train_rows.clips[0])])),
    )
    caption = Caption.objects.get()
    for status in ("in_review", "accepted"):
        caption = review_status_set(
            model=Caption, pk=caption.pk, status=status, actor=Actor.person(reviewer), expected_version=caption.version
        )
    with pytest.raises(ReleaseBlocked) as blocked:
        release_create(benchmark=caption.video.benchmark, tag="v1", user=admin_user)
    assert blocked.value.blockers == [
        f"{train_rows.clips[0]}: clip is pending; the export needs its file and model-view frames (process_videos)"
    ]


def test_released_clips_are_append_only(reviewed_corpus, eval_benchmark, admin_user):
    release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReleaseClip.objects.update(participant_id="someone-else")


def test_create_release_command_names_the_shared_participant(
    reviewed_corpus, overlapping_eval, eval_benchmark, admin_user, capsys, train_rows
):
    with pytest.raises(CommandError, match=train_rows.people[0]):
        call_command("create_release", "Train", "v1", "--user", admin_user.username)
    call_command("create_release", "Train", "v1", "--user", admin_user.username, "--disjoint-from", "Eval")
    assert "3 clips, 6 QA items, no participant shared with Eval" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no evaluation benchmark 'Nope'"):
        call_command("create_release", "Train", "v2", "--user", admin_user.username, "--disjoint-from", "Nope")


def test_participant_overlap_command_exits_1_on_overlap(reviewed_corpus, overlapping_eval, capsys, train_rows):
    with pytest.raises(SystemExit) as exit_:
        call_command("participant_overlap", "Train", "--against", "Eval overlap")
    assert exit_.value.code == 1
    assert f"participant {train_rows.people[0]}" in capsys.readouterr().out
