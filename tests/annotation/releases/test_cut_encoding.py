"""The cut's digests come from rows encoded piece by piece and batch by batch: the same bytes as the exports
made later from the stored rows, whatever the values hold and however the rows are batched."""

import hashlib
import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.db.models import DateTimeField, Value

from annotation.exports.json_encoding import json_encoder
from annotation.exports.release_export import (
    FORMATS,
    ReleaseDigests,
    export_chunks,
    export_digest,
    mac_row,
    questions_only_row,
    rich_row,
    row_json,
)
from annotation.models import Benchmark
from annotation.selectors import release_rows
from annotation.services import releases
from annotation.services.release_integrity import release_check
from annotation.services.release_snapshots import IsoTimestamp, _event_time
from annotation.services.releases import release_create, release_manifest

AWKWARD = 'quote " backslash \\ slash / tab \t newline \n bell \x07 nul-ish \x1f del \x7f é ✓ \u2028 😀'


def _row(**content):
    values = {
        "clip": f"clip {AWKWARD}",
        "task": "FMAR",
        "question": f"Which? {AWKWARD}",
        "options": ["a", AWKWARD, "c"],
        "answer": "B",
        "generated_by": f"gen {AWKWARD}",
    } | content
    return SimpleNamespace(
        qid=f"FMAR_{AWKWARD}",
        item_version=3,
        content=values,
        caption={"z": AWKWARD, "a": [1, 2.5, None, True], "m": {"y": 1, "b": 2}},
        provenance={"reviews": [{"by": AWKWARD, "at": "2026"}], "adjudication": None, "generated_by": "x"},
    )


ROWS = [
    _row(),
    _row(task="SAD", options=[], answer="Yes"),
    _row(task="MADU", options=[], answer=f"open {AWKWARD}"),
    _row(answer={"not": "text", "a": 1}),  # not what an item holds, but encoded as the exports would
    SimpleNamespace(**(vars(_row()) | {"caption": None})),
]


@pytest.mark.parametrize("sorted_keys", [False, True])
def test_the_encoder_writes_what_json_dumps_writes(sorted_keys):
    encode = json_encoder(sorted_keys=sorted_keys)
    for value in [AWKWARD, 1, 2.5, -0.0, 1e300, None, True, [], {}, {"b": [AWKWARD, {"d": 1, "c": 2}], "a": 1.5}]:
        assert encode(value) == json.dumps(value, ensure_ascii=False, sort_keys=sorted_keys)


def test_a_row_is_encoded_as_the_exports_encode_it():
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    for row in ROWS:
        encoded = row_json(row)
        assert encoded.mac == json.dumps(mac_row(row), ensure_ascii=False)
        assert encoded.questions_only == json.dumps(questions_only_row(row), ensure_ascii=False)
        assert encoded.rich == dumps(rich_row(row))
        assert encoded.rich == row_json(row, dumps(row.caption)).rich
        assert json.loads(encoded.content) == row.content
        assert json.loads(encoded.provenance) == row.provenance


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_digests_taken_batch_by_batch_are_those_of_the_exports(batch):
    manifest = {"benchmark": AWKWARD, "item_count": len(ROWS)}
    with ReleaseDigests() as digests:
        for start in range(0, len(ROWS), batch):
            digests.add([row_json(row) for row in ROWS[start : start + batch]])
        found = digests.digests(manifest)
        again = digests.json_digest(manifest | {"datasheet": {"x": 1}})
    assert found == {fmt: export_digest(fmt, manifest, ROWS) for fmt in FORMATS}
    assert again == export_digest("json", manifest | {"datasheet": {"x": 1}}, ROWS)


def test_digests_of_no_rows_are_those_of_empty_exports():
    with ReleaseDigests() as digests:
        assert digests.digests({}) == {fmt: export_digest(fmt, {}, []) for fmt in FORMATS}


def test_rows_past_the_memory_spool_are_digested_from_the_temporary_file(monkeypatch):
    monkeypatch.setattr("annotation.exports.release_export.SPOOL_BYTES", 100)
    with ReleaseDigests() as digests:
        for row in ROWS:
            digests.add([row_json(row)])
        assert digests._json_rows._rolled  # noqa: SLF001
        assert digests.json_digest({}) == export_digest("json", {}, ROWS)


@pytest.mark.postgresql
def test_event_times_are_written_as_isoformat_by_the_database(benchmark):
    for at in (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(999, 1, 2, 3, 4, 5, 120, tzinfo=UTC)):
        written = Benchmark.objects.annotate(at=IsoTimestamp(Value(at, output_field=DateTimeField())))
        assert written.values_list("at", flat=True).get() == at.isoformat()
    assert str(_event_time()).startswith("IsoTimestamp")


@pytest.mark.postgresql
def test_a_cut_in_small_batches_freezes_and_digests_the_same_rows(
    benchmark, accepted_items, admin_user, monkeypatch, make_caption
):
    make_caption(review_status="accepted")
    whole = release_create(benchmark=benchmark, tag="v1", user=admin_user)
    monkeypatch.setattr(releases, "BATCH", 2)
    batched = release_create(benchmark=benchmark, tag="v2", user=admin_user)
    for fmt in ("mac", "questions-only", "jsonl"):
        assert batched.export_sha256[fmt] == whole.export_sha256[fmt]
    assert [(r.position, r.qid, r.content, r.caption, r.provenance) for r in release_rows(release=batched)] == [
        (r.position, r.qid, r.content, r.caption, r.provenance) for r in release_rows(release=whole)
    ]
    assert release_check(batched).intact and release_check(whole).intact
    exported = b"".join(export_chunks("json", release_manifest(batched), release_rows(release=batched)))
    assert hashlib.sha256(exported).hexdigest() == batched.export_sha256["json"]
