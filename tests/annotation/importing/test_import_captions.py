import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS, Trend
from annotation.importing.captions import SCHEMA_PATH
from annotation.models import AuditEvent, Caption, QualityFlag

CAPTION = {
    "video": "clip_a.mp4",
    "coarse_label": "B",
    "fine_label": "B1",
    "dominant_part": "head",
    "other_parts": ["torso"],
    "direction_path": "down then up along the midline",
    "phases": {"early": "head dips", "middle": "head dips again", "late": "head returns upright"},
    "trend": "repetitive",
    "contact": "none",
    "description": "The head nods twice.",
}


def import_captions(tmp_path, rows, *extra, jsonl=True):
    path = tmp_path / "captions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) if jsonl else json.dumps(rows))
    call_command(
        "import_benchmark",
        "--in-process",
        "--captions",
        str(path),
        "--benchmark",
        "Captioned",
        *extra,
        stdout=io.StringIO(),
    )
    return path


def test_the_schema_names_exactly_the_taxonomy():
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["properties"]["coarse_label"]["enum"] == list(COARSE_LABELS)
    assert schema["properties"]["fine_label"]["enum"] == list(FINE_LABELS)
    assert schema["properties"]["trend"]["enum"] == [t.value for t in Trend]


def test_captions_import_one_per_clip_with_phases_split_into_fields(db, tmp_path):
    import_captions(tmp_path, [CAPTION, CAPTION | {"video": "clip_b.mp4", "fine_label": "B2"}])
    caption = Caption.objects.get(video__clip_name="clip_a")
    assert (caption.coarse_label, caption.fine_label, caption.other_parts) == ("B", "B1", ["torso"])
    assert (caption.phase_early, caption.phase_late, caption.trend) == (
        "head dips",
        "head returns upright",
        "repetitive",
    )
    assert caption.generated_by == "import of captions.jsonl"
    assert AuditEvent.objects.filter(target_kind="caption", event_type="created").count() == 2


def test_reimporting_captions_changes_nothing_and_a_change_is_a_revision(db, tmp_path):
    path = import_captions(tmp_path, [CAPTION])
    call_command(
        "import_benchmark", "--in-process", "--captions", str(path), "--benchmark", "Captioned", stdout=io.StringIO()
    )
    assert Caption.objects.get().version == 1
    import_captions(tmp_path, [CAPTION | {"description": "The head nods three times."}])
    caption = Caption.objects.get()
    assert (caption.version, caption.description) == (2, "The head nods three times.")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"fine_label": "Z9"}, "row 1, field 'fine_label': 'Z9' is not one of"),
        ({"fine_label": "C5"}, "row 1, field 'fine_label': C5 (Waving) belongs to coarse category C, not B"),
        ({"trend": "sometimes"}, "field 'trend': 'sometimes' is not one of"),
        ({"other_parts": "torso"}, "field 'other_parts': 'torso' is not of type 'array'"),
        ({"phases": {"early": 3}}, "field 'phases.early': 3 is not of type 'string'"),
        ({"colour": "red"}, "Additional properties are not allowed ('colour' was unexpected)"),
        ({"description": "<iframe src=x>"}, "field 'description': contains markup '<iframe src=x>'"),
    ],
)
def test_bad_captions_are_refused_with_row_and_field(db, tmp_path, change, expected):
    with pytest.raises(CommandError) as raised:
        import_captions(tmp_path, [CAPTION | change])
    assert expected in str(raised.value)
    assert not Caption.objects.exists() and not AuditEvent.objects.exists()


def test_a_clip_without_video_or_video_name_is_refused(db, tmp_path):
    row = {k: v for k, v in CAPTION.items() if k != "video"}
    with pytest.raises(
        CommandError, match=r"row 1: name the clip in exactly one of 'video' \(with .mp4\) or 'video_name'"
    ):
        import_captions(tmp_path, [row])


def test_questions_and_captions_import_together_and_lint_compares_them(db, tmp_path, clip_rows):
    questions = tmp_path / "q.json"
    questions.write_text(json.dumps(clip_rows("clip_a")))  # CMAR key Head, FMAR key Nodding
    captions = tmp_path / "c.json"
    captions.write_text(json.dumps([CAPTION | {"fine_label": "B2"}]))  # Shaking head: disagrees with the FMAR key
    call_command(
        "import_benchmark",
        "--in-process",
        str(questions),
        "--captions",
        str(captions),
        "--benchmark",
        "Both",
        stdout=io.StringIO(),
    )
    flag = QualityFlag.objects.get(kind="caption_label")
    assert flag.caption.video.clip_name == "clip_a"
    assert "caption says 'Shaking head', FMAR key is 'Nodding'" in flag.message
