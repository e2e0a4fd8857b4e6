"""Participant ids: derived from clip names by the configured pattern, or imported; audited."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from annotation.audit.replay import replay_mismatches
from annotation.domain.participants import participant_from_clip_name
from annotation.importing.problems import ImportRejected
from annotation.models import Benchmark, Video
from annotation.services.importing import ImportFile, benchmark_import


def test_the_default_pattern_reads_ma52_clip_names():
    assert (
        participant_from_clip_name("7a3e3d4d-fd03-44d1-b58e-f38f24a2d997_40_70")
        == "7a3e3d4d-fd03-44d1-b58e-f38f24a2d997"
    )
    assert participant_from_clip_name("clip_001") == ""
    assert participant_from_clip_name("7a3e3d4d-fd03-44d1-b58e-f38f24a2d997_40") == ""


def test_the_pattern_is_a_setting():
    with override_settings(PARTICIPANT_ID_PATTERN=r"^(?P<participant>P\d+)_"):
        assert participant_from_clip_name("P017_session2_clip9") == "P017"
    with (
        override_settings(PARTICIPANT_ID_PATTERN=r"^(P\d+)_"),
        pytest.raises(ImproperlyConfigured, match="named group"),
    ):
        participant_from_clip_name("P017_x")
    with override_settings(PARTICIPANT_ID_PATTERN=r"^(?P<participant>P\d+"), pytest.raises(ImproperlyConfigured):
        participant_from_clip_name("P017_x")


def test_import_derives_participants_and_a_row_may_name_one(db, train_rows):
    clip_a, clip_b = train_rows.clips[0], train_rows.clips[2]
    rows = [train_rows.caption(clip_a), train_rows.caption(clip_b, participant_id="subject-7")]
    summary = benchmark_import(
        benchmark_name="T", source="g", kind="train", captions=ImportFile("c.jsonl", train_rows.encode(rows))
    )
    assert summary.videos_created == 2
    stored = dict(Video.objects.values_list("clip_name", "participant_id"))
    assert stored == {clip_a: train_rows.people[0], clip_b: "subject-7"}
    assert Benchmark.objects.get(name="T").is_caption_centric
    assert replay_mismatches() == []


def test_a_train_clip_without_participant_is_refused_naming_file_row_and_field(db, train_rows):
    rows = [train_rows.caption(train_rows.clips[0]), train_rows.caption("clip_without_person")]
    with pytest.raises(ImportRejected) as rejected:
        benchmark_import(
            benchmark_name="T", source="g", kind="train", captions=ImportFile("c.jsonl", train_rows.encode(rows))
        )
    [problem] = rejected.value.problems
    assert (problem.file, problem.row, problem.field) == ("c.jsonl", 2, "participant_id")
    assert "clip_without_person" in problem.message
    assert not Benchmark.objects.exists() and not Video.objects.exists()  # nothing half-written


def test_an_evaluation_benchmark_may_have_clips_without_participant(db, train_rows):
    benchmark_import(
        benchmark_name="E",
        source="g",
        questions=ImportFile("q.jsonl", train_rows.encode(train_rows.questions("clip_x", 1))),
    )
    assert Video.objects.get().participant_id == ""


def test_two_files_giving_a_clip_different_participants_are_refused(db, train_rows):
    clip = train_rows.clips[0]
    captions = train_rows.encode([train_rows.caption(clip, participant_id="p-1")])
    questions = train_rows.encode([{**train_rows.questions(clip, 1)[0], "participant_id": "p-2"}])
    with pytest.raises(ImportRejected) as rejected:
        benchmark_import(
            benchmark_name="T",
            source="g",
            kind="train",
            captions=ImportFile("c.jsonl", captions),
            questions=ImportFile("q.jsonl", questions),
        )
    [problem] = rejected.value.problems
    assert problem.field == "participant_id" and "p-1" in problem.message and "p-2" in problem.message
    assert not Video.objects.exists()


def test_a_bad_participant_id_is_refused_with_its_place(db, train_rows):
    rows = [{**train_rows.questions("clip_x", 1)[0], "participant_id": "<b>x</b>"}]
    with pytest.raises(ImportRejected) as rejected:
        benchmark_import(benchmark_name="E", source="g", questions=ImportFile("q.jsonl", train_rows.encode(rows)))
    assert [(p.row, p.qid, p.field) for p in rejected.value.problems] == [(1, "SAD_0001", "participant_id")]


def test_the_kind_of_an_existing_benchmark_must_match(db, train_rows):
    rows = train_rows.encode([train_rows.caption(train_rows.clips[0])])
    benchmark_import(benchmark_name="T", source="g", captions=ImportFile("c.jsonl", rows))
    with pytest.raises(ImportRejected, match="of kind eval, not train"):
        benchmark_import(benchmark_name="T", source="g", kind="train", captions=ImportFile("c.jsonl", rows))


def test_reimport_gives_existing_clips_their_participant_through_the_trail(db, train_rows):
    clip = train_rows.clips[0]
    with override_settings(PARTICIPANT_ID_PATTERN=r"^(?P<participant>nobody)$"):
        benchmark_import(
            benchmark_name="E",
            source="g",
            questions=ImportFile("q.jsonl", train_rows.encode(train_rows.questions(clip, 1))),
        )
    assert Video.objects.get().participant_id == ""
    summary = benchmark_import(
        benchmark_name="E",
        source="g",
        questions=ImportFile("q.jsonl", train_rows.encode(train_rows.questions(clip, 1))),
    )
    assert summary.videos_participant_set == 1
    video = Video.objects.get()
    assert (video.participant_id, video.version) == (train_rows.people[0], 2)
    assert replay_mismatches() == []


def test_clips_created_before_participant_ids_existed_replay_cleanly(benchmark):
    from annotation.models import AuditEvent

    video = Video.objects.create(benchmark=benchmark, clip_name="old_clip")  # as rows stood before migration 0012
    after = {k: v for k, v in video.audit_snapshot().items() if k != "participant_id"}
    AuditEvent.objects.create(
        actor_source="old importer",
        event_type=AuditEvent.EventType.CREATED,
        target_kind="video",
        target_id=video.pk,
        target_version=1,
        after=after,
    )
    assert replay_mismatches() == []
