import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation.audit.replay import replay_mismatches
from annotation.domain.transitions import ReviewStatus
from annotation.models import AuditEvent, Benchmark, QAItem, QualityFlag, Video
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit, review_status_set


@pytest.fixture
def two_clips(write_file, clip_rows):
    return write_file(clip_rows("clip_a", 1) + clip_rows("clip_b", 2))


def test_import_creates_items_on_one_video_per_clip_and_reports_a_summary(db, run_import, two_clips):
    summary = run_import(two_clips)
    assert (summary["rows_read"], summary["items_created"], summary["videos_created"]) == (24, 24, 2)
    benchmark = Benchmark.objects.get(name="Imported")
    assert sorted(benchmark.videos.values_list("clip_name", flat=True)) == ["clip_a", "clip_b"]
    cmar = QAItem.objects.get(qid="CMAR_0001")
    assert (cmar.question, cmar.options[:2], cmar.answer) == (
        "Which coarse-grained category fits?",
        ["Body", "Head"],
        "B",
    )
    assert cmar.video.clip_name == "clip_a" and cmar.generated_by == "gen-x 1.0"
    imported = AuditEvent.objects.get(event_type="imported")
    assert imported.after["items_created"] == 24 and imported.actor_source == "gen-x 1.0"
    assert replay_mismatches() == []


def test_the_unkeyed_published_shape_imports_with_empty_keys_and_flags(db, run_import, write_file, clip_rows):
    rows = [
        {"video_name": r["video"].removesuffix(".mp4"), **{k: v for k, v in r.items() if k != "video"}}
        for r in clip_rows("clip_a", answers=False)
    ]
    summary = run_import(write_file(rows, "full.jsonl", jsonl=True))
    assert summary["items_created"] == 12 and summary["flags_raised"]["missing_answer_key"] == 12
    assert set(QAItem.objects.values_list("answer", flat=True)) == {""}
    flag = QualityFlag.objects.filter(kind="missing_answer_key").first()
    assert "reviewer must supply it" in flag.message and flag.status == "open"


def test_reimporting_the_same_file_changes_nothing(db, run_import, two_clips):
    run_import(two_clips)
    events, flags = AuditEvent.objects.count(), QualityFlag.objects.count()
    summary = run_import(two_clips)
    assert (summary["items_created"], summary["items_updated"], summary["items_unchanged"]) == (0, 0, 24)
    assert AuditEvent.objects.count() == events + 1  # only the import record itself
    assert QualityFlag.objects.count() == flags and QAItem.objects.filter(version=1).count() == 24


def test_a_changed_row_becomes_a_revision_by_the_source_and_goes_back_to_review(
    db, run_import, write_file, reviewer, clip_rows
):
    rows = clip_rows("clip_a")
    run_import(write_file(rows))
    item = QAItem.objects.get(qid="SAD_0002")
    actor = Actor.person(reviewer)
    item = review_status_set(model=QAItem, pk=item.pk, status="in_review", actor=actor, expected_version=1)
    review_status_set(model=QAItem, pk=item.pk, status="accepted", actor=actor, expected_version=2)
    rows[2]["question"] = "Does the head move down twice?"
    summary = run_import(write_file(rows), source="gen-x 1.1")
    assert (summary["items_updated"], summary["items_unchanged"]) == (1, 11)
    item.refresh_from_db()
    assert (item.question, item.version, item.review_status, item.generated_by) == (
        "Does the head move down twice?",
        4,
        ReviewStatus.IMPORTED,
        "gen-x 1.1",
    )
    revision = AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk).last()
    assert (revision.actor_source, revision.reason) == ("gen-x 1.1", "revised by re-import")
    assert revision.before["question"] == "SAD question 0 about the clip_a head motion?"


def test_a_human_edit_is_never_overwritten_by_a_reimport(db, run_import, write_file, annotator, clip_rows):
    rows = clip_rows("clip_a")
    run_import(write_file(rows))
    item = QAItem.objects.get(qid="SAD_0002")
    item_edit(item_id=item.pk, actor=Actor.person(annotator), expected_version=1, changes={"answer": "No"})
    rows[2]["question"] = "A regenerated question?"
    summary = run_import(write_file(rows), source="gen-x 1.1")
    assert (summary["items_updated"], summary["items_kept_human_edit"]) == (0, 1)
    item.refresh_from_db()
    assert (item.answer, item.question, item.version) == ("No", "SAD question 0 about the clip_a head motion?", 2)
    flag = QualityFlag.objects.get(kind="import_conflict", item=item)
    assert flag.details["incoming"] == {"question": "A regenerated question?"}
    assert "their version is kept" in flag.message


def test_dry_run_reports_but_writes_nothing(db, two_clips, capsys):
    call_command("import_benchmark", "--in-process", two_clips, "--benchmark", "Dry", "--dry-run")
    summary = json.loads(capsys.readouterr().out)
    assert summary["dry_run"] and summary["items_created"] == 24
    assert not Benchmark.objects.exists() and not AuditEvent.objects.exists() and not QualityFlag.objects.exists()


def test_clip_files_link_by_name_now_or_when_they_arrive_later(db, run_import, two_clips, tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "clip_a.mp4").write_bytes(b"not really a video, linked by name")
    summary = run_import(two_clips, "--videos", str(clips))
    assert (summary["videos_linked"], summary["videos_missing_file"]) == (1, ["clip_b"])
    (clips / "clip_b.mp4").write_bytes(b"arrived later")
    summary = run_import("--videos", str(clips))
    assert (summary["videos_linked"], summary["videos_missing_file"]) == (1, [])
    assert set(Video.objects.values_list("file", flat=True)) == {
        f"clips/{Video.objects.first().benchmark_id}/clip_a.mp4",
        f"clips/{Video.objects.first().benchmark_id}/clip_b.mp4",
    }


def test_the_query_count_does_not_grow_with_the_rows(db, write_file, clip_rows):
    def queries(clips: int, name: str) -> int:
        rows = [row for n in range(clips) for row in clip_rows(f"clip_{n}", n + 1)]
        for n, row in enumerate(row for row in rows if row["task"] == "FMAR"):
            row["answer"] = "ABCDE"[n % 5]  # keys spread over the letters: no balance flag in the larger file
        path = write_file(rows, f"{name}.json")
        with CaptureQueriesContext(connection) as captured:
            call_command("import_benchmark", "--in-process", path, "--benchmark", name, stdout=io.StringIO())
        return len(captured)

    # both above lint's LENGTH_MIN_ITEMS / BALANCE_MIN_ITEMS per task, so both read the same benchmark-wide checks
    assert queries(25, "small") == queries(100, "large")


def test_errors_name_row_qid_and_field_and_nothing_is_written(db, write_file, clip_rows):
    rows = clip_rows("clip_a")
    rows[0]["task"] = "CMAC"
    rows[1]["answer"] = "F"
    rows[3]["qid"] = rows[2]["qid"]
    rows[4]["question"] = ""
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", "--in-process", write_file(rows), "--benchmark", "Broken")
    text = str(raised.value)
    assert "4 problems; nothing was imported" in text
    assert "row 1 (CMAR_0001), field 'task': unknown task 'CMAC'" in text
    assert "row 2 (FMAR_0001), field 'answer': letter 'F' is not one of the options A, B, C, D, E" in text
    assert "row 4 (SAD_0002), field 'qid': duplicate qid: also on row 3" in text
    assert "row 5 (MAD_0002), field 'question': missing" in text
    assert not Benchmark.objects.exists() and not AuditEvent.objects.exists()


def test_reimporting_after_a_human_edit_is_quiet_when_the_generator_changed_nothing(
    db, run_import, write_file, annotator, clip_rows
):
    path = write_file(clip_rows("clip_a"))
    run_import(path)
    item = QAItem.objects.get(qid="SAD_0002")
    item_edit(item_id=item.pk, actor=Actor.person(annotator), expected_version=1, changes={"answer": "No"})
    summary = run_import(path)
    assert (summary["items_unchanged"], summary["items_kept_human_edit"]) == (12, 0)
    assert not QualityFlag.objects.filter(kind="import_conflict").exists()
