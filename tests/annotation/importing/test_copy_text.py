"""Rows COPYed in the text format the import writes itself: every value comes back as it went in, and a
clip created by an import has the row and the event a clip created through its model has."""

import json
from datetime import UTC, datetime

import pytest

from annotation.models import AuditEvent, Video
from annotation.services.audited_writes import Actor, create_audited_checked, create_audited_many
from annotation.services.bulk_insert import insert_rows
from annotation.services.importing import ImportFile, benchmark_import

AWKWARD_TEXTS = [
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "back\\slash \\N",
    "\\",
    "",
    "\u00e9t\u00e9 \u2603 \U0001f600",
]


def test_awkward_values_come_back_as_they_went_in(db):
    rows = [
        {
            "actor_source": text or "x",
            "event_type": "created",
            "target_kind": "qaitem",
            "target_id": n,
            "target_version": None if n % 2 else n,
            "before": None if n % 2 else {"text": text, "list": [text, 1, 2.5, True, None]},
            "after": [text, {"\t": "\\"}],
            "reason": text,
        }
        for n, text in enumerate(AWKWARD_TEXTS)
    ]
    pks = insert_rows(AuditEvent, rows)
    stored = AuditEvent.objects.in_bulk(pks)
    for pk, row in zip(pks, rows, strict=True):
        event = stored[pk]
        assert {name: getattr(event, name) for name in row} == row
        assert event.at is not None and event.actor_user_id is None


def test_a_clip_an_import_creates_is_the_one_its_model_creates(db, benchmark):
    actor = Actor.machine("gen 1.0")
    (through_model,) = create_audited_many(
        model=Video, actor=actor, rows=[{"benchmark": benchmark, "clip_name": "clip_m", "participant_id": "p1"}]
    )
    (checked,) = create_audited_checked(
        model=Video, actor=actor, rows=[{"benchmark_id": benchmark.pk, "clip_name": "clip_c", "participant_id": "p1"}]
    )
    a, b = Video.objects.get(pk=through_model.pk), Video.objects.get(pk=checked)
    columns = [f.attname for f in Video._meta.concrete_fields if f.attname not in ("id", "clip_name", "created_at")]
    assert [getattr(a, c) for c in columns] == [getattr(b, c) for c in columns]
    events = {e.target_id: e for e in AuditEvent.objects.filter(target_kind="video", event_type="created")}
    assert {**events[a.pk].after, "clip_name": None} == {**events[b.pk].after, "clip_name": None}
    assert events[b.pk].after == b.audit_snapshot()


def test_an_imports_clips_have_their_events(db):
    rows = [
        {"video": f"clip_{n}.mp4", "task": "SAD", "qid": f"SAD_{n}", "question": "Nod?", "answer": "Yes"}
        for n in range(3)
    ]
    benchmark_import(benchmark_name="b", source="gen 1.0", questions=ImportFile("q.json", json.dumps(rows).encode()))
    videos = Video.objects.filter(benchmark__name="b")
    events = {e.target_id: e for e in AuditEvent.objects.filter(target_kind="video", event_type="created")}
    assert sorted(v.clip_name for v in videos) == ["clip_0", "clip_1", "clip_2"]
    for video in videos:
        assert events[video.pk].after == video.audit_snapshot() and events[video.pk].actor_source == "gen 1.0"


@pytest.mark.filterwarnings("ignore:DateTimeField")
def test_a_naive_time_is_stored_as_django_stores_it(db):
    naive, aware = datetime(2026, 1, 2, 3, 4, 5, 678901), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    row = {"actor_source": "x", "event_type": "created", "target_kind": "qaitem", "target_id": 1}
    copied = insert_rows(AuditEvent, [{**row, "at": naive}, {**row, "at": aware}])
    through_django = [AuditEvent.objects.create(**row, at=at).pk for at in (naive, aware)]
    stored = AuditEvent.objects.in_bulk([*copied, *through_django])
    assert [stored[pk].at for pk in copied] == [stored[pk].at for pk in through_django]
