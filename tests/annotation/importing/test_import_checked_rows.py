"""The import creates its items from the checked rows, without a model each: what the model's checks and
its audit snapshot would have given, checked here against the model itself."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.domain.mac_format import item_fields_from_row, join_embedded_options
from annotation.importing.problems import ProblemLog
from annotation.importing.questions import QuestionRowChecker
from annotation.importing.reading import Row
from annotation.models import AuditEvent, Benchmark, QAItem
from annotation.services.audited_writes import Actor, create_audited_checked, create_audited_many
from annotation.services.importing import ImportFile, benchmark_import


def _events_by_target() -> dict[int, AuditEvent]:
    return {e.target_id: e for e in AuditEvent.objects.filter(target_kind="qaitem", event_type="created")}


def test_each_created_items_event_is_the_snapshot_its_model_gives(db, run_import, write_file, clip_rows):
    run_import(write_file(clip_rows("clip_a", 1) + clip_rows("clip_b", 2)))
    events = _events_by_target()
    items = list(QAItem.objects.order_by("pk"))
    assert len(items) == len(events) == 24
    for item in items:
        event = events[item.pk]
        assert event.after == item.audit_snapshot() and event.target_version == item.version == 1
        assert (event.before, event.reason, event.actor_source, event.actor_user) == (None, "", "gen-x 1.0", None)
        assert item.updated_at is not None and item.review_status == "imported"


def test_rows_created_checked_give_the_same_rows_and_events_as_through_models(db, benchmark, video):
    actor = Actor.machine("gen-y 2.0")
    fields = [
        {"task": "CMAR", "question": "Which?", "options": ["Body", "Head"], "answer": "A"},
        {"task": "SAD", "question": "Does the <b>head</b> move?\nA. not an option", "options": [], "answer": ""},
        {"task": "MADU", "question": "Describe \u00e9t\u00e9 \u2603.", "options": [], "answer": "It nods."},
    ]
    through_models = create_audited_many(
        model=QAItem,
        actor=actor,
        rows=[{"benchmark": benchmark, "video": video, "qid": f"M_{n}", **f} for n, f in enumerate(fields)],
    )
    checked = create_audited_checked(
        model=QAItem,
        actor=actor,
        rows=[{"benchmark_id": benchmark.pk, "video_id": video.pk, "qid": f"C_{n}", **f} for n, f in enumerate(fields)],
    )
    events = _events_by_target()
    stored = QAItem.objects.in_bulk([*(i.pk for i in through_models), *checked])
    columns = [f.attname for f in QAItem._meta.concrete_fields if f.attname not in ("id", "qid", "updated_at")]
    for model_item, pk in zip(through_models, checked, strict=True):
        a, b = stored[model_item.pk], stored[pk]
        assert [getattr(a, c) for c in columns] == [getattr(b, c) for c in columns]
        before, after = events[model_item.pk], events[pk]
        assert {**before.after, "qid": None} == {**after.after, "qid": None}
        assert after.after == b.audit_snapshot() and after.after["qid"] == b.qid
        same = ("actor_user_id", "actor_source", "event_type", "target_kind", "target_version", "before", "reason")
        assert [getattr(before, f) for f in same] == [getattr(after, f) for f in same]


def _choice_row(question: str, answer: str = "A") -> dict:
    return {"video": "clip_a.mp4", "task": "CMAR", "qid": "CMAR_0001", "question": question, "answer": answer}


EDGE_ROWS = [  # a row, and whether the model accepts its item
    (_choice_row(join_embedded_options("Which?", ["x", "y"])), True),
    (_choice_row(join_embedded_options("Which?", list("abcdefg")), "G"), True),
    (_choice_row(join_embedded_options("", ["x", "y"])), False),
    (_choice_row(join_embedded_options(" ", ["x", "y"])), True),
    (_choice_row(join_embedded_options("Which?", ["x", "y"]), ""), True),
    (_choice_row(join_embedded_options("Which?", ["x", "y"]), "C"), False),
    ({"video": "clip_a.mp4", "task": "SAD", "qid": "SAD_0001", "question": "Nod?\nA. x\nB. y", "answer": "Yes"}, True),
    ({"video": "clip_a.mp4", "task": "SAD", "qid": "SAD_0001", "question": "Nod?", "answer": None}, True),
    ({"video": "clip_a.mp4", "task": "SAD", "qid": "SAD_0001", "question": "Nod?", "answer": "yes"}, False),
    ({"video": "clip_a.mp4", "task": "MADU", "qid": "M" * 64, "question": "Describe.", "answer": " "}, True),
    ({"video": "clip_a.mp4", "task": "MADU", "qid": "M" * 65, "question": "Describe.", "answer": "x"}, False),
]


@pytest.mark.parametrize(("data", "model_accepts"), EDGE_ROWS)
def test_the_row_checks_accept_a_row_exactly_when_the_model_accepts_its_item(db, benchmark, video, data, model_accepts):
    item = QAItem(benchmark=benchmark, video=video, generated_by="gen-x 1.0", **item_fields_from_row(data))
    try:
        item.clean_fields(exclude=["benchmark", "video"])
        item.clean()
    except ValidationError:
        assert not model_accepts
    else:
        assert model_accepts
    checker = QuestionRowChecker(file="q.json", problems=ProblemLog())
    assert (checker.check(Row(1, data)) is not None) is model_accepts


def test_a_choice_row_without_a_stem_is_a_problem_naming_file_row_and_field(db, write_file, clip_rows):
    rows = clip_rows("clip_a")
    rows[0]["question"] = join_embedded_options("", ["Body", "Head"])
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", "--in-process", write_file(rows), "--benchmark", "Broken")
    assert "row 1 (CMAR_0001), field 'question': This field cannot be blank." in str(raised.value)
    assert not Benchmark.objects.exists() and not AuditEvent.objects.exists()


def test_a_source_too_long_for_generated_by_is_refused_as_the_model_refused_it(db, clip_rows):
    benchmark_import(benchmark_name="Long", source="gen-x 1.0", questions=_file(clip_rows("clip_a", 1)))
    items, events = QAItem.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as raised:  # the clip exists: its new items are the first to name the source
        benchmark_import(benchmark_name="Long", source="g" * 201, questions=_file(clip_rows("clip_a", 2)))
    assert raised.value.message_dict == {"generated_by": ["Ensure this value has at most 200 characters (it has 201)."]}
    assert (QAItem.objects.count(), AuditEvent.objects.count()) == (items, events)


def _file(rows: list[dict]) -> ImportFile:
    return ImportFile("q.json", json.dumps(rows).encode())
